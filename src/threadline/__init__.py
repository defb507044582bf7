"""Threadline: an intelligence and digital-investigation workbench.

The package is layered (design.md §3); layers import downwards only, checked by import-linter::

    model  <-  ingest, store, scenario  <-  services  <-  cli
"""

__version__ = "0.1.0"
