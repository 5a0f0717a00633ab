"""EAC-CPF, the archival standard for authority records of corporate bodies: every unit's
record in EAC-CPF 2010 (revised 2018) and 2.0, and reading such records back as draft units.

`record` is the registry's view of one record, whatever the version; `export` fills it from the
database and writes it as XML; `importer` reads XML into it and writes it to the database,
structure through `history.services.apply_reorganisation`; `schemas` validates against the
official XSDs.
"""
