"""The shared English-like vocabulary of every synthetic corpus (a few hundred words).

Nouns carry their plural and whether they are animate (only animate nouns act as subjects);
verbs carry their present third-person singular and past forms, so sentences can be inflected
without any morphology rules.
"""

# (singular, plural) by kind; only people and animals act as subjects.
PEOPLE = (
    ("teacher", "teachers"),
    ("farmer", "farmers"),
    ("doctor", "doctors"),
    ("child", "children"),
    ("woman", "women"),
    ("man", "men"),
    ("king", "kings"),
    ("queen", "queens"),
    ("baker", "bakers"),
    ("soldier", "soldiers"),
    ("student", "students"),
    ("singer", "singers"),
    ("driver", "drivers"),
    ("nurse", "nurses"),
    ("painter", "painters"),
    ("sailor", "sailors"),
    ("girl", "girls"),
    ("boy", "boys"),
    ("friend", "friends"),
    ("neighbor", "neighbors"),
    ("waiter", "waiters"),
    ("cook", "cooks"),
)
ANIMALS = (
    ("dog", "dogs"),
    ("cat", "cats"),
    ("bird", "birds"),
    ("horse", "horses"),
    ("fox", "foxes"),
    ("mouse", "mice"),
    ("wolf", "wolves"),
    ("rabbit", "rabbits"),
    ("cow", "cows"),
    ("duck", "ducks"),
    ("bear", "bears"),
    ("goat", "goats"),
    ("lion", "lions"),
    ("frog", "frogs"),
)
THINGS = (
    ("book", "books"),
    ("box", "boxes"),
    ("letter", "letters"),
    ("cake", "cakes"),
    ("apple", "apples"),
    ("ball", "balls"),
    ("car", "cars"),
    ("boat", "boats"),
    ("chair", "chairs"),
    ("table", "tables"),
    ("key", "keys"),
    ("bottle", "bottles"),
    ("lamp", "lamps"),
    ("hat", "hats"),
    ("coat", "coats"),
    ("cup", "cups"),
    ("bag", "bags"),
    ("soup", "soups"),
    ("song", "songs"),
    ("picture", "pictures"),
    ("map", "maps"),
    ("ring", "rings"),
    ("film", "films"),
    ("meal", "meals"),
    ("story", "stories"),
    ("game", "games"),
)
PLACES = (
    ("river", "rivers"),
    ("house", "houses"),
    ("garden", "gardens"),
    ("forest", "forests"),
    ("school", "schools"),
    ("market", "markets"),
    ("bridge", "bridges"),
    ("village", "villages"),
    ("church", "churches"),
    ("station", "stations"),
    ("park", "parks"),
    ("city", "cities"),
    ("hill", "hills"),
    ("road", "roads"),
    ("tower", "towers"),
    ("castle", "castles"),
    ("kitchen", "kitchens"),
    ("lake", "lakes"),
    ("beach", "beaches"),
    ("shop", "shops"),
    ("hotel", "hotels"),
    ("room", "rooms"),
)
# (singular, plural, animate)
ANIMATE_NOUNS = tuple((singular, plural, True) for singular, plural in PEOPLE + ANIMALS)
NOUNS = ANIMATE_NOUNS + tuple((singular, plural, False) for singular, plural in THINGS + PLACES)

# Neutral adjectives: they describe, never carry sentiment.
DESCRIPTIVE_ADJECTIVES = (
    "old",
    "young",
    "small",
    "big",
    "tall",
    "tiny",
    "red",
    "green",
    "blue",
    "white",
    "black",
    "yellow",
    "quiet",
    "heavy",
    "long",
    "new",
    "dark",
    "strange",
    "busy",
    "wooden",
    "cold",
    "warm",
    "round",
)
POSITIVE_ADJECTIVES = (
    "good",
    "great",
    "nice",
    "kind",
    "friendly",
    "excellent",
    "wonderful",
    "pleasant",
    "clean",
    "brilliant",
    "lovely",
    "amazing",
    "fresh",
    "helpful",
    "beautiful",
)
NEGATIVE_ADJECTIVES = (
    "bad",
    "awful",
    "terrible",
    "rude",
    "dirty",
    "boring",
    "poor",
    "horrible",
    "ugly",
    "slow",
    "noisy",
    "dull",
    "nasty",
    "cruel",
    "unpleasant",
)
ADJECTIVES = DESCRIPTIVE_ADJECTIVES + POSITIVE_ADJECTIVES + NEGATIVE_ADJECTIVES

# (base, present third-person singular, past)
TRANSITIVE_VERBS = (
    ("see", "sees", "saw"),
    ("follow", "follows", "followed"),
    ("carry", "carries", "carried"),
    ("find", "finds", "found"),
    ("watch", "watches", "watched"),
    ("help", "helps", "helped"),
    ("call", "calls", "called"),
    ("meet", "meets", "met"),
    ("push", "pushes", "pushed"),
    ("hold", "holds", "held"),
    ("chase", "chases", "chased"),
    ("know", "knows", "knew"),
    ("visit", "visits", "visited"),
    ("paint", "paints", "painted"),
    ("build", "builds", "built"),
    ("bring", "brings", "brought"),
    ("like", "likes", "liked"),
    ("hate", "hates", "hated"),
    ("open", "opens", "opened"),
    ("wash", "washes", "washed"),
    ("sell", "sells", "sold"),
    ("buy", "buys", "bought"),
    ("draw", "draws", "drew"),
    ("remember", "remembers", "remembered"),
)
INTRANSITIVE_VERBS = (
    ("sleep", "sleeps", "slept"),
    ("run", "runs", "ran"),
    ("wait", "waits", "waited"),
    ("sing", "sings", "sang"),
    ("dance", "dances", "danced"),
    ("laugh", "laughs", "laughed"),
    ("cry", "cries", "cried"),
    ("swim", "swims", "swam"),
    ("arrive", "arrives", "arrived"),
    ("fall", "falls", "fell"),
    ("smile", "smiles", "smiled"),
    ("work", "works", "worked"),
    ("rest", "rests", "rested"),
    ("play", "plays", "played"),
)
ADVERBS = (
    "quickly",
    "slowly",
    "quietly",
    "loudly",
    "carefully",
    "happily",
    "sadly",
    "politely",
    "gently",
    "early",
)
PREPOSITIONS = ("near", "behind", "under", "beside", "inside", "outside", "above", "around")

# Determiners by grammatical number.
SINGULAR_DETERMINERS = ("the", "a", "this", "every")
PLURAL_DETERMINERS = ("the", "some", "these", "many")

# Proper names for the news reports: real first names; surnames and towns are built from
# syllables per example, so they come from pools far too large to memorise.
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Frank",
    "Grace",
    "Hugo",
    "Irene",
    "Jonas",
    "Karin",
    "Leo",
    "Maria",
    "Nikolai",
    "Olga",
    "Paul",
    "Rosa",
    "Samuel",
    "Tina",
    "Victor",
    "Wanda",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bianca",
    "Carlos",
    "Dana",
    "Emil",
    "Fatima",
    "Georg",
    "Hanna",
    "Igor",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rita",
    "Stefan",
    "Tomas",
    "Ursula",
    "Vera",
    "Walter",
    "Ximena",
    "Yara",
    "Zeno",
    "Alma",
)
NAME_SYLLABLES = (
    "ba",
    "be",
    "bo",
    "da",
    "de",
    "di",
    "do",
    "fa",
    "fe",
    "ga",
    "gi",
    "ka",
    "ke",
    "ko",
    "la",
    "le",
    "li",
    "lo",
    "ma",
    "me",
    "mi",
    "mo",
    "na",
    "ne",
    "no",
    "pa",
    "pe",
    "ra",
    "re",
    "ri",
    "ro",
    "sa",
    "se",
    "si",
    "ta",
    "te",
    "to",
    "va",
    "ve",
    "vi",
    "za",
    "zo",
)
SURNAME_ENDINGS = ("n", "r", "s", "ski", "son", "ova", "ez", "berg", "ini", "ak", "el", "or")
TOWN_ENDINGS = ("ton", "burg", "ville", "field", "port", "ford", "dale", "stad", "wick", "mouth")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def surname(rng):
    """A capitalised surname such as `Kovaski` or `Lemirason`: about 10^6 of them."""
    syllables = pick(rng, NAME_SYLLABLES) + pick(rng, NAME_SYLLABLES)
    if rng.random() < 0.5:
        syllables += pick(rng, NAME_SYLLABLES)
    return (syllables + pick(rng, SURNAME_ENDINGS)).capitalize()


def full_name(rng):
    return f"{pick(rng, FIRST_NAMES)} {surname(rng)}"


def town(rng):
    """A capitalised town name such as `Melaport`, one of about 2 * 10^4."""
    return (pick(rng, NAME_SYLLABLES) + pick(rng, NAME_SYLLABLES) + pick(rng, TOWN_ENDINGS)).capitalize()


def date(rng):
    return f"{pick(rng, MONTHS)} {rng.randint(1, 28)}"


def pick(rng, options):
    """`rng.choice(options)` without its rejection loop, in about half the time: the generators
    make a hundred draws per example. The bias, below 2**-40 per option, is immaterial here."""
    return options[int(rng.random() * len(options))]
