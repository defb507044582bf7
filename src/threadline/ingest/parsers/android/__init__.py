"""Android handset databases: the ``android_db`` parser and the readers it shares with the full
file-system parser (:mod:`~threadline.ingest.parsers.android.stores`)."""
