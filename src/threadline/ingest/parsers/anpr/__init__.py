"""ANPR ingest: read exports (``anpr``, mapping-driven) and camera lists (``anpr_cameras``)."""
