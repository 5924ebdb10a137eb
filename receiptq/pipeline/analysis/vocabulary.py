"""The general vocabulary of addresses and business names, and the OCR slips it repairs.

Street and region words of Malaysian and Polish addresses (JALAN, TAMAN, SELANGOR,
ULICA...), the words that say what a business is (HARDWARE, BAKERY...), two-word places
(SHAH ALAM) and the short abbreviations (JLN, TMN, KG): general vocabulary, not any
merchant's data. `repair_address` and `repair_business_words` undo the one-letter
errors OCR makes in them; `receiptq.pipeline.analysis.merchant` applies them.
"""

from __future__ import annotations

import re
from collections.abc import Container

from receiptq.pipeline.analysis.keywords import substring_distance

#: Words of addresses, for repairing one-letter OCR errors in them (JALAU -> JALAN).
#: General vocabulary of Malaysian and Polish addresses, not any merchant's data.
STREET_WORDS = (
    "JALAN", "LORONG", "TAMAN", "BANDAR", "KAWASAN", "PERINDUSTRIAN", "SEKSYEN", "PERSIARAN",
    "KAMPUNG", "SELANGOR", "JOHOR", "BAHRU", "KUALA", "LUMPUR", "PAHANG", "PERAK", "KEDAH",
    "PENANG", "PINANG", "MELAKA", "SABAH", "SARAWAK", "TERENGGANU", "KELANTAN", "NEGERI",
    "SEMBILAN", "PERLIS", "MALAYSIA", "DARUL", "EHSAN", "TAKZIM", "PETALING", "SHAH", "ALAM",
    "STREET", "ROAD", "AVENUE", "FLOOR", "GROUND", "LEVEL", "BLOCK", "INDUSTRIAL", "CENTRE",
    "MUKIM", "DAERAH", "WILAYAH", "PERSEKUTUAN", "PUSAT", "KOMPLEKS", "MENARA", "BANGUNAN",
    "WISMA", "LEBUHRAYA", "UTAMA", "UTARA", "SELATAN", "TIMUR", "BARAT", "INDAH", "PERDANA",
    "LAMAN", "LEBUH", "BUKIT", "SUNGAI", "PADANG", "PULAU", "MEDAN", "PLAZA", "SIMPANG",
    "KAMPONG", "PEKAN", "PANGSAPURI", "APARTMENT",
    "ULICA", "ALEJA", "OSIEDLE", "WARSZAWA", "KRAKÓW", "POZNAŃ", "GDAŃSK", "WROCŁAW",
    "ŁÓDŹ", "KATOWICE", "LUBLIN", "SZCZECIN", "BYDGOSZCZ", "BIAŁYSTOK", "GDYNIA",
)  # fmt: skip
_SHORT_STREET_WORDS = {
    "JIN": "JLN", "3LN": "JLN", "J1N": "JLN", "THN": "TMN", "TNN": "TMN", "LRC": "LRG",
    "N0": "NO", "KO": "KG",
}  # fmt: skip
#: A floor's ordinal with its digit read as a letter: "SRD FLR", "IST FLOOR", "ZND FLR".
_FLOOR_ORDINAL = re.compile(
    r"\b(?:[S5](?=RD)|[Il](?=ST)|Z(?=ND))(?=\w\w\.?\s*FL(?:R|OOR)?\b)", re.IGNORECASE
)
_ORDINAL_DIGIT = {"S": "3", "5": "3", "I": "1", "L": "1", "Z": "2"}
#: Two-word place names whose short second word is repaired only after the first.
PLACE_PAIRS = {"SHAH": "ALAM", "SERI": "KEMBANGAN", "PETALING": "JAYA", "JOHOR": "BAHRU"}


#: What a business is, as its name says (English and Malay), for repairing one-letter OCR
#: errors in names ("HARDUARE" -> HARDWARE): general vocabulary, not any merchant's name.
BUSINESS_WORDS = (
    "HARDWARE", "STATIONERY", "CONFECTIONERY", "BAKERY", "BAKERIES", "RESTAURANT",
    "RESTAURANTS", "RESTORAN", "TRADING", "ENTERPRISE", "ENTERPRISES", "MARKETING",
    "INDUSTRIES", "SUPERMARKET", "MINIMARKET", "PHARMACY", "ELECTRICAL", "ELECTRONICS",
    "FURNITURE", "DISTRIBUTOR", "DISTRIBUTORS", "HOLDINGS", "SERVICES", "CATERING",
    "ADVERTISING", "PRINTING", "AUTOMOTIVE", "TELECOMMUNICATIONS", "CORPORATION",
    "INTERNATIONAL", "PERNIAGAAN", "KEDAI", "SYARIKAT", "HYPERMARKET", "BOOKSTORE",
)  # fmt: skip


def repair_business_words(name: str, known: Container[str] | None = None) -> str:
    """Undo one-letter OCR errors in the words that say what a business is, when exactly
    one such word is a letter away ("VERBENA CONFECTIUNERY SDN BHD"), and the word read
    is not a word of ``known`` (the word list: "BAKERS" is no misread BAKERY)."""

    def fix(m: re.Match) -> str:
        up = m[0].upper()
        if up in BUSINESS_WORDS or (known is not None and m[0].lower() in known):
            return m[0]
        match = one_letter_from(up, BUSINESS_WORDS)
        return same_case(match, m[0]) if match else m[0]

    return re.sub(r"[A-Za-z]{6,}", fix, name)


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one substitution (OCR rarely adds letters)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def one_letter_from(word: str, words: tuple[str, ...]) -> str | None:
    """The one of ``words`` that ``word`` is a single substitution from, if exactly one."""
    matches = [w for w in words if one_edit(word, w)]
    return matches[0] if len(matches) == 1 else None


#: A block or section code in an address: letters and digits, both ("U5", "SS21", "13G").
_CODE = re.compile(r"(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{2,6}")
#: Short address words that are not misread codes ("KL" beside a block "K1").
_ABBREVIATIONS = frozenset({"KL", "JB", "PJ", "KG", "NO", "LOT", "JLN", "TMN", "LRG", "BLK", "SG"})
#: Letters OCR reads for digits.
_AS_DIGIT = str.maketrans("SOILZBG", "5011286")


#: A word in lower case whose last letters were read as ones ("Ma11").
_ENDS_IN_ONES = re.compile(r"[A-Za-z]?[a-z]+1+")


def _ells_known(token: str, known: Container[str] | None) -> bool:
    """Whether ``token`` is a known word in lower case with ones for its last letters
    ("Ma11"), not a number after an abbreviation ("No1")."""
    return (
        known is not None
        and _ENDS_IN_ONES.fullmatch(token) is not None
        and token.rstrip("1").upper() not in _ABBREVIATIONS
        and token.replace("1", "l").lower() in known
    )


#: Two capitalised words read without the space between them ("JalanPelabur").
_GLUED = re.compile(r"\b([A-Z][a-z]{3,})([A-Z][a-z]{2,})\b")


def _unglued(m: re.Match) -> str:
    """Split "JalanPelabur" into "Jalan Pelabur" when the first part is an address word (or
    one letter from one, which the word repair then fixes)."""
    head = m[1].upper()
    if head in STREET_WORDS or one_letter_from(head, STREET_WORDS):
        return f"{m[1]} {m[2]}"
    return m[0]


def _near(word: str, second: str) -> bool:
    """Whether ``word``, read where a two-word place's ``second`` word belongs, is that
    word misread: its first letter, about its length, at most two edits away."""
    return (
        word[:1] == second[:1]
        and abs(len(word) - len(second)) <= 1
        and substring_distance(second, word) <= min(2, len(second) // 2)
    )


def _first_of_pair(word: str, rest: list[str]) -> str | None:
    """The first word of a two-word place (PLACE_PAIRS) that ``word`` is one letter from,
    when the letters after it are that place's second word."""
    if not word.isalpha() or word in PLACE_PAIRS or not rest or not rest[0].isspace():
        return None
    after = "".join(c for c in "".join(rest[:4]).upper() if c.isalpha())
    matches = [a for a, b in PLACE_PAIRS.items() if one_edit(word, a) and after.startswith(b)]
    return matches[0] if len(matches) == 1 else None


def _letters_or_slot(token: str) -> bool:
    """Letters, or letters with one "_" where OCR lost a letter ("JA_AN"): no address
    prints an underscore."""
    return token.replace("_", "a", 1).isalpha()


def same_case(word: str, like: str) -> str:
    if like.isupper():
        return word
    if like[:1].isupper():
        return word.capitalize()
    return word.lower()


#: A number (or section code) and a lone 8 or 6 before another number.
_AMPERSAND = re.compile(r"(\S*(?:\d|[A-Z]))(\s)[86](\s)(?=\d)")


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


def repair_address(text: str, known: Container[str] | None = None) -> str:
    """Undo common OCR slips in an address: "&" read as 8 or 6 between house numbers,
    a floor's ordinal with a letter for its digit (SRD FLR), street words glued to the next,
    one-letter errors in street and region words and in either word of a two-word place,
    a section code printed twice read two ways (U5 / US), JIN for JLN, N0 for NO."""
    # "1851-A 8 1851-B": an ampersand between two numbers read as 8 or 6 (not "BATU 8 1/2")
    text = _AMPERSAND.sub(lambda m: f"{m[1]}{m[2]}&{m[3]}" if _has_digit(m[1]) else m[0], text)
    text = re.sub(r"(?<=\d):(?=\d)", "/", text)  # "Pelabur 23:1": no address has a time
    text = _FLOOR_ORDINAL.sub(lambda m: _ORDINAL_DIGIT[m[0].upper()], text)
    text = _GLUED.sub(_unglued, text)
    out: list[str] = []
    tokens = re.split(r"(\W+)", text)
    codes = {t.upper() for t in tokens if _CODE.fullmatch(t)}
    for i, tok in enumerate(tokens):
        up = tok.upper()
        before = out[-2].upper() if len(out) >= 2 and out[-1].isspace() else ""
        if before in PLACE_PAIRS and tok.isalpha() and up not in STREET_WORDS:
            if _near(up, PLACE_PAIRS[before]):  # "SHAH ALAN", "Shah Altai" -> "SHAH ALAM"
                tok = same_case(PLACE_PAIRS[before], tok)
        elif first := _first_of_pair(up, tokens[i + 1 :]):  # "Shab Alam" -> "Shah Alam"
            tok = same_case(first, tok)
        elif up not in _ABBREVIATIONS and up.translate(_AS_DIGIT) in codes - {up}:
            tok = up.translate(_AS_DIGIT)  # "U5/BM, SEKSYEN US" -> "SEKSYEN U5"
        elif up in _SHORT_STREET_WORDS:
            tok = same_case(_SHORT_STREET_WORDS[up], tok)
        elif _ells_known(tok, known):
            tok = tok.replace("1", "l")  # "Ma11" -> "Mall", not "No1" -> "Nol"
        elif (
            len(tok) >= 5
            and _letters_or_slot(tok)
            and up not in STREET_WORDS
            and (known is None or tok.lower() not in known)  # "JAPAN" is no misread JALAN
        ):
            match = one_letter_from(up, STREET_WORDS)  # not "UTANA": UTAMA or UTARA?
            if match:
                tok = same_case(match, tok)
        out.append(tok)
    return "".join(out)
