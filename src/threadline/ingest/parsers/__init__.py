"""Built-in parsers. Each registers through the ``threadline.parsers`` entry point group, the same
way a third-party parser would (design.md "Extension points")."""
