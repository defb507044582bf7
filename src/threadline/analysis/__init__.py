"""Analyses: pure functions over the evidence tables, findings out (design.md §3).

Each analysis is a plugin (:mod:`threadline.analysis.contract`) registered through the
``threadline.analyses`` entry point group. It reads the canonical evidence tables through an
:class:`~threadline.analysis.evidence.Evidence` handle with SQL that any SQL engine with window
functions runs (DuckDB here; Apache Spark for a national data set), and returns
:class:`~threadline.model.finding.Finding` objects that cite the rows they rest on. Storing,
versioning and showing findings is the services' work, not the analyses'.
"""
