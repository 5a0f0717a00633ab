"""EAC-CPF, the archival standard for authority records of corporate bodies: every unit's
record in EAC-CPF 2010 (revised 2018) and 2.0, and reading such records back as draft units.

`record` is the registry's view of one record, whatever the version; `collect` fills it from
the database (its edit history from `maintenance`); `export` writes it as XML in either
version, on what both share (`writer`); `schemas` validates against the official XSDs; `jobs`
builds the zip of every record in the background worker. The import, which reads XML into a
`Record` and writes it to the database, is history's (`history.loaders.eaccpf`).
"""
