"""Compact-model language, its emitters (ngspice subckt, Verilog-A, numpy) and the device catalogue.

Not built yet: this lands with the compact-model issue (memristor catalogue).
"""
