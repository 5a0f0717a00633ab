"""An OAI-PMH 2.0 data provider at `/oai`: harvesters read the units' authority records with
the protocol archives already speak (https://www.openarchives.org/OAI/openarchivesprotocol.html).

- **Items** are the units on record (`Unit.objects.on_record()`) that have a name, each in
  three formats: `eac-cpf` (EAC-CPF 2010, revised 2018), `eac-cpf-2` (EAC-CPF 2.0), both
  written by `orgunits.exports.eaccpf.export`, and `oai_dc` (simple Dublin Core read off the same
  record).
- **Identifiers** are `oai:socialforvaltning.kk.dk:unit/<slug>`: a fixed repository identifier
  rather than the host a request came in on, so that a unit keeps its identifier whatever
  address the registry is served at; slugs are read-only once given.
- **Datestamps** are record time (UTC): the moment of the latest history row of anything the
  unit's record is read from — the unit, its names, identifiers, placements and those of the
  units placed right below it, reclassifications, the citations on the unit, its names and its
  identifiers, and the changes naming it. One grouped UNION ALL over the history tables reads
  them for every unit at once (`items._history_rows`). Other units' names, which a record quotes in
  its relations, do not move its datestamp.
- **Sets**: `kind:<kind>` holds the units that were of that kind at some time (from their
  beginning, or by a reclassification), `targetgroup:<group>` likewise; `kind` and
  `targetgroup` hold all of their subsets. Their names are the registry's Danish labels.
- **Deleted records** are `persistent`, as history is never deleted. A unit that had a name
  on record and is no longer disseminated has a deleted header, dated by its last history row:
  one deleted (a draft never placed, in the admin), one whose creation was withdrawn (its record
  stays, docs/corrections.md, but without the name that creation gave, which no EAC-CPF record
  can be), one that a planned reorganisation places (out of the record until the plan is put in
  force). It has no metadata in any format (ListMetadataFormats: noMetadataFormats). A unit
  only a plan ever named was never on record and is not listed at all: plans are not public.
- **Lists** run in (datestamp, unit id) order, `PAGE_SIZE` items a page. A resumption token
  is the original arguments and the last (datestamp, id) delivered, signed (keyset
  pagination): every page costs what the first does, and a unit edited during a harvest moves
  to the end of the list, where the harvest meets it again. Tokens do not expire.

The package: `protocol` (the verbs' arguments, the formats, the errors), `tokens` (resumption
tokens), `items` (the items, their datestamps and sets), `metadata` (a record in each format),
`verbs` (the responses) and `views` (the endpoint).
"""
