"""The synthetic organisation's vocabulary and shape: the words its names, tasks and
reorganisations are made of, the levels of its tree and how often each operation comes."""

MAX_DEPTH = 8  # the root is depth 1
UNITS_PER_CENTRE = 300
TASKS_PER_UNIT = 3

CENTRE_DEPTH, OFFICE_DEPTH = 3, 4
# Where a centre's units hang: 10 % directly under the centre (offices), half under an
# office, the rest one or two levels further down.
PARENT_DEPTHS, PARENT_WEIGHTS = (3, 4, 5, 6), (10, 50, 30, 10)

AREAS = [
    "Børn og Familier",
    "Handicap",
    "Socialpsykiatri",
    "Hjemløse",
    "Misbrug",
    "Myndighed",
    "Rehabilitering",
    "Beskæftigelse og Integration",
    "Unge",
    "Boliger",
    "Specialrådgivning",
    "Forebyggelse",
    "Udsatte Voksne",
    "Botilbud",
    "Kvalitet og Tilsyn",
]
TOPICS = [
    "Visitation",
    "Sagsbehandling",
    "Rådgivning",
    "Tilsyn",
    "Økonomi",
    "Jura",
    "Personale",
    "IT",
    "Kvalitet",
    "Udvikling",
    "Kommunikation",
    "Bostøtte",
    "Familiepleje",
    "Døgntilbud",
    "Aktivitet og Samvær",
    "Behandling",
    "Udredning",
    "Opsøgende Arbejde",
    "Dagtilbud",
    "Hjælpemidler",
]
DISTRICTS = [
    "Indre By",
    "Østerbro",
    "Nørrebro",
    "Vesterbro",
    "Valby",
    "Vanløse",
    "Brønshøj",
    "Bispebjerg",
    "Amager Øst",
    "Amager Vest",
    "Kongens Enghave",
    "Christianshavn",
]
TEAM_WORDS = ["Team", "Gruppe", "Afsnit", "Enhed"]
DUTIES = [
    "Sagsbehandling efter serviceloven",
    "Visitation til tilbud",
    "Budgetopfølgning",
    "Tilsyn med tilbud",
    "Klagesager",
    "Aktindsigt",
    "Rekruttering",
    "Arbejdsmiljø",
    "Systemforvaltning",
    "Ledelsesinformation",
    "Borgerrådgivning",
    "Pårørendesamarbejde",
    "Kompetenceudvikling",
    "Kvalitetsstandarder",
    "Indkøb",
    "Underretninger",
    "Handleplaner",
    "Samarbejde med regionen",
]

# Relative frequency of each kind of operation once the plan has used every kind once.
WEIGHTS = {
    "create": 12,
    "rename": 14,
    "reclassify": 4,
    "move": 20,
    "merge": 12,
    "split": 10,
    "dissolve": 10,
    "transfer": 18,
}
TITLES = {
    "create": "Oprettelse af %s",
    "rename": "Navneændring for %s",
    "reclassify": "Ny målgruppe for %s",
    "move": "Flytning af %s",
    "merge": "Sammenlægning i %s",
    "split": "Opdeling af %s",
    "dissolve": "Nedlæggelse af %s",
    "transfer": "Opgaveflytning fra %s",
}
