"""Merchant name, address, tax id and phone from the receipt's header.

The header is the block above the first date, item table or amount. In it, the legal name
is the line that carries a company-form suffix (SDN BHD, LTD, GmbH, Sp. z o.o., S.A.,
ENTERPRISE, TRADING...), or else the first line that reads like a name; the address is
the run of lines after the name (skipping registration numbers) up to the first line of
contact or tax details (TEL, FAX, GST, NIP, e-mail), and it must look like an address:
a postcode, a street word, or a number.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass

from receiptq.pipeline.analysis.amounts import find_amounts
from receiptq.pipeline.analysis.dates import parse_dates
from receiptq.pipeline.analysis.keywords import squash
from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.analysis.polish_names import normalize_polish_forms
from receiptq.pipeline.analysis.taxids import find_tax_id, nip_candidates
from receiptq.pipeline.analysis.vocabulary import (
    STREET_WORDS,
    one_edit,
    repair_address,
    repair_business_words,
    same_case,
)
from receiptq.pipeline.ocr import Word

#: Company-form suffixes, squashed (letters only, upper case).
LEGAL_SUFFIXES = (
    "SDNBHD",
    "SDNBHO",
    "BHD",
    "SDN",
    "PLT",
    "ENTERPRISE",
    "ENTERPRISES",
    "TRADING",
    "HARDWARE",
    "LTD",
    "LIMITED",
    "PLC",
    "LLC",
    "INC",
    "GMBH",
    "SPZOO",
    "SPOLKAZOO",
    "SPJ",
    "SPK",
    "CORPORATION",
    "CORP",
    "COMPANY",
    "RESTAURANT",
    "RESTORAN",
    "MARKETING",
    "INDUSTRIES",
    "SUPERMARKET",
    "MINIMARKET",
    "STATIONERY",
    "BAKERY",
    "PHARMACY",
    "APTEKA",
)
#: Forms that are two words ("Sp. j.", "Sp. k."): one token "SPK" is no form.
_SPLIT_FORMS = ("SPJ", "SPK")
#: Suffixes that must end the line (short, so likely inside other words otherwise).
_END_SUFFIXES = re.compile(
    r"(?:\bS\.?\s?A\.?|\bS\.?\s?/\s?B\.?|\bCO\.?|\bSP\.?\s?Z\s?O\.?\s?O\.?|\bSP(?:\.\s?|\s)[JK]\.?)\s*$",
    re.IGNORECASE,
)

#: Lines that end the address: contact and tax details, document titles.
_STOP = re.compile(
    r"\b(?:TEL|TELEFON|PHONE|PH|FAX|HP|MOBILE|H/P|E-?MAIL|WWW|HTTP|GST|SST|NIP|REGON|VAT|"
    r"TAX|INVOICE|RECEIPT|PARAGON|FISKALNY|FAKTURA|CASHIER|KASJER|DOC|BILL|TABLE|"
    r"OPEN|DAILY|BRANCH|STORE\s?NO|POS|TERMINAL|OPERATOR|SALES|ORDER|QUOTATION|"
    r"WYDR)\b",  # "nr wydr. 57993": a Polish fiscal printer's print number
    re.IGNORECASE,
)
#: Registration-number lines between the name and the address, e.g. "(867388-U)".
_REG_NO = re.compile(
    r"^\W*(?:CO\.?\s*)?(?:REG(?:ISTRATION)?\.?\s*(?:NO)?\.?\s*:?)?\s*[\(\[]?\s*"
    r"(?:NO\.?\s*)?\d{4,12}\s*-{0,2}\s*[A-Z0-9]{0,2}\s*[\)\]]?\W*$",
    re.IGNORECASE,
)
_ADDRESS_WORDS = re.compile(
    r"\b(?:JALAN|JLN|LORONG|LRG|TAMAN|TMN|BANDAR|LOT|NO|BLOK|BLOCK|JOHOR|SELANGOR|KUALA|"
    r"LUMPUR|PETALING|SHAH|ALAM|STREET|ST|ROAD|RD|AVENUE|AVE|SUITE|FLOOR|UL|ULICA|AL|ALEJA|"
    r"PL|PLAC|OS|OSIEDLE|WARSZAWA|KRAKOW|KRAKÓW|POZNAN|POZNAŃ|GDANSK|GDAŃSK|WROCLAW|WROCŁAW|"
    r"LODZ|ŁÓDŹ|KATOWICE|UNIT|KM|PERSIARAN|KAMPUNG|INDUSTRIAL|PERINDUSTRIAN|KAWASAN|"
    r"(?-i:KG|Kg)(?=[.\s])|"  # Kampung ("KG. BATU", "Kg Baru"), not kilograms ("0.49/kg")
    r"SEKSYEN|MALAYSIA|POLSKA|DARUL|EHSAN|TAKZIM|PERAK|PAHANG|KEDAH|PERLIS|KELANTAN|"
    r"TERENGGANU|MELAKA|NEGERI|SEMBILAN|SABAH|SARAWAK|PULAU|PINANG|PENANG|LABUAN|"
    r"PUTRAJAYA|W\.?P|LANE|BLVD|DRIVE|DR|HIGH|"
    # buildings and roads: malls, towers, highways; French routes and streets
    r"MALL|PLAZA|WISMA|MENARA|BANGUNAN|KOMPLEKS|COMPLEX|LEBUHRAYA|HIGHWAY|"
    r"ROUTE|AUTOROUTE|RUE|BOULEVARD)\b",
    re.IGNORECASE,
)
#: Building words open an address ("PARADIGM MALL" over "LOT NO. 4F-27"), but under the
#: postcode a mall is the outlet's name, not more of the address.
_BUILDING_WORDS = re.compile(
    r"\b(?:MALL|PLAZA|WISMA|MENARA|BANGUNAN|KOMPLEKS|COMPLEX)\b", re.IGNORECASE
)
_POSTCODE = re.compile(
    r"(?<![\dA-Za-z])(?:\d{5}|\d{2}-\d{3})(?!\d)"  # Malaysia, US ZIP, Poland
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"  # UK: BS1 6WH
)
_PHONE = re.compile(
    r"\b(?:TEL|TELEFON|PHONE|PH|HP|H/P|MOBILE|T)\.?\s*(?:NO)?\.?\s*[:.]?\s*"
    r"(\+?\(?\d[\d\s()/-]{6,18}\d)",
    re.IGNORECASE,
)

#: OCR's digit-for-letter confusions inside words that are otherwise letters.
_DIGIT_AS_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "|": "I"})


@dataclass
class MerchantInfo:
    name: str | None = None
    address: str | None = None
    tax_id: str | None = None
    phone: str | None = None
    name_confidence: float = 0.0
    address_confidence: float = 0.0


def fix_word_letters(text: str) -> str:
    """Read digits as letters inside words that are mostly letters ("8HD" -> "BHD")."""
    out = []
    for tok in text.split(" "):
        letters = sum(c.isalpha() for c in tok)
        digits = sum(c.isdigit() for c in tok)
        if letters >= 2 and 0 < digits <= letters / 2 + 0.5:
            tok = tok.translate(_DIGIT_AS_LETTER)
        out.append(tok)
    return " ".join(out)


def has_legal_suffix(text: str) -> bool:
    """Whether ``text`` carries a company-form suffix (SDN BHD, Sp. z o.o., LTD, S.A.)."""
    if _PL_SOLE_TRADER.match(text):
        return True
    bare = re.sub(r"\s*[\(\[][^()\[\]]*\d[^()\[\]]*[\)\]]?\s*$", "", clean_line(text))
    if _END_SUFFIXES.search(bare):
        return True
    words = [squash(w) for w in text.split()]
    joined = "".join(words)
    for suf in LEGAL_SUFFIXES:
        if suf in _SPLIT_FORMS:
            continue  # "Sp. k." only as written (`_END_SUFFIXES`): "5PK" is a five-pack
        if len(suf) <= 4:
            if suf in words or (suf in ("SDNBHD", "SPZOO") and suf in joined):
                return True
            if suf in ("SDN", "BHD") and suf in words:
                return True
        elif suf in joined:
            return True
    return "SDNBHD" in joined or "SPZOO" in joined


def _is_noise(line: Line) -> bool:
    """Lines that are not text: barcodes, rules, logos OCR'd as symbols, stray marks."""
    text = line.text.strip()
    alnum = sum(c.isalnum() for c in text)
    if alnum < 2 or alnum < 0.5 * len(text.replace(" ", "")):
        return True
    if line.conf < 0.35:
        return True
    letters = sum(c.isalpha() for c in text)
    if letters >= 3 and text == text.lower() and line.conf < 0.75:
        # unsure lower-case specks, unless they are an address word a letter off ("setangor")
        return not _ADDRESS_WORDS.search(repair_address(text).upper())
    return False


def _has_money(text: str) -> bool:
    """An amount that is not part of an address ("NO 18, 20, 22" is not RM 20.22)."""
    return (
        bool(find_amounts(text)) and not _POSTCODE.search(text) and not _ADDRESS_WORDS.search(text)
    )


def _looks_like_address(text: str) -> bool:
    return bool(_POSTCODE.search(text) or _ADDRESS_WORDS.search(text) or re.search(r"\d", text))


#: A quantity times a price, as item rows print it: "1.00X 21.32", "2 x 3.50", "3@1.39",
#: "2 @ £1.89", "0.254 kg @ £0.69/kg".
_ITEM_QUANTITY = re.compile(
    r"\b\d{1,3}(?:[.,]\d{1,3})?\s?(?:kg\s?)?[xX@*]\s?(?:[£$€]|RM)?\s?\d", re.IGNORECASE
)


def _looks_like_place(text: str) -> bool:
    """An address word or a postcode: a row of the address, whatever follows it."""
    return bool(_ADDRESS_WORDS.search(text) or _POSTCODE.search(text))


def goes_on_as_address(text: str) -> bool:
    """A row with an address word or a postcode and no contact details or registration
    number: below the header's first rows, where an address may go on."""
    return _looks_like_place(text) and not _is_contact(text) and not _is_registration(text)


def header_lines(lines: list[Line], max_lines: int = 14) -> list[Line]:
    """The lines above the first amount line, noise removed.

    Dates do not end the header: some printers put the date between name and address.
    """
    out: list[Line] = []
    for line in lines[: max_lines + 6]:
        if _has_money(line.text) and len(out) >= 2 and not parse_dates(line.text):
            if _ITEM_QUANTITY.search(line.text) and not _looks_like_place(out[-1].text):
                out.pop()  # "27" BASIN BESAR" over "400002 1.00X 21.32": the item's name
            break
        if not _is_noise(line):
            out.append(line)
        if len(out) >= max_lines:
            break
    return out


def clean_line(text: str) -> str:
    """Trim stray punctuation OCR adds at line ends (a final "." may end "Sp. z o.o.")."""
    return text.strip(" ,:;|_-—~'\"`*‘’“”").lstrip(".").strip()


_PHONE_LIKE = re.compile(r"(?:\+?\d{2,4}[- ]?)?\d{2,4}[- ]\d{3,4}[- ]?\d{3,5}")
_REG_WORDS = re.compile(
    r"\b(?:CO|COMPANY|BUSINESS|BR)\b\.?\s*(?:RE[GQ]|NO|NUMBER)|\b(?:ROC|REG|REGISTRATION)\b",
    re.IGNORECASE,
)
_SDN = re.compile(r"^(?:S[DO0QU]N|5[DO]N|SDH|SON)\.?$", re.IGNORECASE)
_BHD = re.compile(r"^[B8GP3R][HN][DO0]\.?$|^B[A-Z]{1,2}[D0O]\.?$|^[A-Z8]?HD\.?$", re.IGNORECASE)


def normalize_legal_forms(text: str) -> str:
    """Repair OCR'd legal forms: "SON 8HD" -> "SDN BHD", "5/B" -> "S/B" (and "5/8" where it
    ends the name), "Sp, Z 0,0" -> "Sp. z o.o." (`polish_names`)."""
    text = normalize_polish_forms(text)
    toks = re.sub(r"\)(?=[A-Za-z])", ") ", text).split()  # "(KL )SDN BHD"
    for i in range(len(toks) - 1):
        if _SDN.match(toks[i]) and _BHD.match(toks[i + 1]):
            dot = "." if toks[i].endswith(".") else ""
            toks[i] = "SDN" + dot if toks[i].isupper() else "Sdn" + dot
            dot = "." if toks[i + 1].endswith(".") else ""
            toks[i + 1] = ("BHD" if toks[i + 1][1:].isupper() else "Bhd") + dot
    text = " ".join(toks)
    text = re.sub(r"(?<![A-Za-z])(?:5/B|S/[D8])(?![A-Za-z])", "S/B", text)
    # both letters read as digits only where the form ends the name: "MART 5/8 (12345-X)"
    text = re.sub(r"(?<=[A-Za-z] )5/8(?=\s*(?:\(|$))", "S/B", text)
    text = re.sub(r"\b(S[Pp]\.\s?)\|\.", r"\1j.", text)  # "Sp. |." -> "Sp. j."
    # "Sp. z o.o." with the o's read as zeros.
    return re.sub(
        r"\b(S[Pp]\.?\s?)[Zz7](\s?)[0Oo]\.\s?[0Oo]\.",
        lambda m: m[1] + ("Z" + m[2] + "O.O." if m[1][:2] == "SP" else "z" + m[2] + "o.o."),
        text,
    )


#: Polish sole-trader designations that open a business name: P.H.U., F.H.U., P.P.H.U.
_PL_SOLE_TRADER = re.compile(
    r"^\W*(?:P[.,]?\s?P[.,]?|F[.,]?|P[.,]?)\s?H[.,]?\s?U[.,]?\s", re.IGNORECASE
)  # (a dot read as a comma: "P.H,U.")
#: Polish street prefixes: an address starts at the line that has one.
_PL_STREET = re.compile(r"(?:^|\s)(?:ul|al|os|pl)\.\s?\w", re.IGNORECASE)


#: A registration number in brackets alone on its row, with a letter prefix or a digit
#: misread as a sign: "(AB1234567-K)", "(0012£45678-X)".
_REG_BRACKETED = re.compile(r"\W*[\(\[]\s*[A-Z]{0,3}[\d£$¥€]{6,13}\s*-\s*[A-Z0-9]\s*[\)\]]\W*")


def _is_registration(text: str) -> bool:
    """Company registration lines: "(867388-U)", "Co. Reg. No: 123456-X", "ROC 1234"."""
    if _REG_BRACKETED.fullmatch(text.strip()):
        return True
    if _REG_NO.match(text):
        # ...but "57000 KL" is a postcode and its town
        return not re.fullmatch(r"\W*\d{5}\s+[A-Za-z]{2}\W*", text)
    if re.search(r"\d{8,}", text.replace(" ", "")) and not _ADDRESS_WORDS.search(text):
        return True  # long id numbers (GST, company no.) with a misread label
    if re.search(r"\d{10,}", text):
        return True  # ...even beside an address word ("GST ID. NO : 000181747712")
    return bool(_REG_WORDS.search(text) and re.search(r"\d{4,}", text))


#: ...squashed, so that they are found glued to what follows ("GSTNO.00041761").
_STOP_SQUASHED = (
    "INVOICE", "RECEIPT", "PARAGON", "FISKALNY", "CASHBILL", "GUESTCHECK", "GSTNO", "GSTID",
    "GSTREG",
)  # fmt: skip


def _is_contact(text: str) -> bool:
    """Contact details, tax ids or document titles: the end of the address."""
    if any(k in squash(text) for k in _STOP_SQUASHED):
        return True
    return bool(_STOP.search(text)) or bool(
        _PHONE_LIKE.search(text) and not _is_postcode_line(text)
    )


def _is_postcode_line(text: str) -> bool:
    """A line whose digits are a postcode and maybe a house number, not a phone."""
    return bool(_POSTCODE.search(text)) and bool(re.search(r"[A-Za-z]{3}", text))


def _name_part(text: str) -> str:
    """The words of a name line that are not its legal suffix."""
    words = [w for w in re.split(r"[\s.,]+", text) if w]
    rest = [w for w in words if squash(w) not in LEGAL_SUFFIXES and squash(w) not in ("M", "CO")]
    rest = [w for w in rest if not re.fullmatch(r"\W*\(?M\)?\W*", w)]
    return " ".join(rest)


#: A line or column that opens with a legal form continues a name before it.
_FORM_START = re.compile(
    r"\W*(?:CO\b|\(M\)|SDN|BHD|S/B|Z\s?[O0]\.\s?[O0]\.|SP\.\s?[JK]\.|ENTERPRISES?\b|TRADING\b"
    r"|MARKETING\b|INDUSTRIES\b)",
    re.IGNORECASE,
)


#: Forms of a registered company (not a trade descriptor such as ENTERPRISE or CO.).
_STRONG_FORM = re.compile(
    r"\b(?:SDN\.?\s?BHD|BHD|LTD|LIMITED|PLC|GMBH|LLC|INC)\b\.?|\bS\.?\s?/\s?B\b"
    r"|\bSP\.?\s?Z\s?O\.?\s?O\b|\bS\.A\.",
    re.IGNORECASE,
)


def find_merchant(
    lines: list[Line], known: Container[str] | None = None, head: list[Line] | None = None
) -> MerchantInfo:
    """Name, address, tax id and phone from the lines of a receipt (``known``: the word
    list, see `repair_business_words`; ``head``: their `header_lines`, when known)."""
    info = MerchantInfo()
    all_text = [ln.text for ln in lines]
    info.tax_id = find_tax_id(all_text)
    info.phone = find_phone(all_text)
    head = header_lines(lines) if head is None else head
    head = [without_edge_marks(ln) for ln in head]
    if not head:
        return info
    info.phone = info.phone or header_phone([ln.text for ln in head])
    texts = [normalize_legal_forms(fix_word_letters(ln.text)) for ln in head]
    name_idx = None
    for i, text in enumerate(texts[:8]):
        # "Company Reg No. : 76495-W" names a form, but it is a registration line
        if has_legal_suffix(text) and not _is_registration(text):
            name_idx = i
            break
    # A trade name with a weak form ("KEDAI TEH SERI & CO.") over the company that owns
    # it ("Dimiliki oleh MAJU F&B SDN. BHD."): the registered company is the merchant.
    if name_idx is not None and not _STRONG_FORM.search(texts[name_idx]):
        strong = [i for i in range(name_idx + 1, min(name_idx + 3, len(texts)))
                  if _STRONG_FORM.search(texts[i])]  # fmt: skip
        if strong:
            name_idx = strong[0]
    if name_idx is None:
        name_idx = _unlabelled_name(head, texts)
        info.name_confidence = 0.4  # reread.SECOND_PASS_BELOW is set against this
    else:
        info.name_confidence = 0.8
    if name_idx is None:
        info.address, info.address_confidence = _address(head, texts, 0)
        return info
    if stamped := _stamp_words(head[name_idx]):
        kept = head[name_idx].words[:-stamped]
        texts[name_idx] = normalize_legal_forms(fix_word_letters(" ".join(w.text for w in kept)))
    first = last = name_idx
    # A legal form alone or nearly alone on its line ("SDN. BHD.", "CO. (M) SDN BHD",
    # "TRADING SDN BHD") continues the name printed on the line above.
    own = _name_part(texts[name_idx])
    starts_with_form = _FORM_START.match(texts[name_idx])
    while first > 0 and first > name_idx - 3:
        prev = texts[first - 1]
        continues = (
            (first == name_idx and (len(own.split()) <= 1 or starts_with_form))
            or (first < name_idx and _FORM_START.match(texts[first]))
            or prev.count("(") > prev.count(")")
            or re.search(r"(?:&|\bAND)\s*$", prev, re.I)
        )
        if not continues or _is_contact(prev) or _is_registration(prev):
            break
        if (logo := _folded(prev)) and _folded(texts[name_idx]).startswith(logo):
            break  # a logo that the name's row repeats ("SINARAN" / "SINARAN TRADING SDN BHD")
        if re.search(r"\d", prev) or head[first - 1].conf < 0.5:
            break
        first -= 1
    if _continues_below(texts, last):
        last += 1
    # ...and so does one whose parenthesis closes on the next line ("(SETIA" / "ALAM) SDN BHD").
    if (
        texts[last].count("(") > texts[last].count(")")
        and last + 1 < len(texts)
        and ")" in texts[last + 1].split("(")[0]
    ):
        last += 1
    parts = [texts[i] for i in range(first, last + 1)]
    # On a row split into columns, the name is the column with the legal form.
    segs = head[name_idx].segment_texts()
    if len(segs) > 1:
        fixed = [normalize_legal_forms(fix_word_letters(t)) for t in segs]
        with_suffix = [t for t in fixed if has_legal_suffix(t)]
        # ...unless that column is only the form, cut from the name by a wide gap
        # ("Jasny Spichlerz Sp." | "z o.o. Sp. k.")
        if with_suffix and not _FORM_START.match(with_suffix[0]):
            parts[name_idx - first] = with_suffix[0]
    info.name = compose_name(parts, known)
    # OCR confidence of the lines used: a misread letter makes the whole name wrong.
    info.name_confidence *= min(ln.conf for ln in head[first : last + 1])
    info.address, info.address_confidence = _address(head, texts, last + 1, info.name, known)
    return info


def compose_name(parts: list[str], known: Container[str] | None = None) -> str | None:
    """The merchant's name from the texts of its rows (legal forms already normalized):
    stray punctuation, a trailing registration number and "&" read as a digit mended."""
    name = " ".join(clean_line(t) for t in parts)
    name = re.sub(r"\s*[\(\[][^()\[\]]*\d[^()\[\]]*[\)\]]?\s*$", "", name)  # (519537-X)
    name = re.sub(r"(?<=[A-Za-z])\s[86]\s(?=[A-Za-z])", " & ", name)  # "&" read as 8 or 6
    name = re.sub(r"\s*[\(\[]?\s*\d{4,12}\s*-\s*[A-Z]\s*[\)\]]?\s*", " ", name).strip()
    name = _NAME_PREFIX.sub("", name)
    head, _, tail = name.rpartition(" ")
    if head and re.fullmatch(r"[a-z]{1,2}", tail) and head == head.upper():
        name = head  # a speck read as a letter after a name in capitals ("KEDAI ROTI t")
    return repair_business_words(clean_line(_ends_at_form(name)), known) or None


#: Before a name, a label ending in a colon ("Dimiliki: ", "Owned by: "), a number
#: ("#000017 KEDAI MAJU Sdn Bhd") or a greeting ("WELCOME TO PINE TAVERN"): no part of it.
_NAME_PREFIX = re.compile(r"^(?:[A-Za-z][A-Za-z .]{0,20}:\s+|#\d+\s+|(?i:WELCOME\s+TO)\s+)(?=\S)")


#: What may follow a registered company's form and still be its name: another form
#: ("Sp. z o.o. Sp. k.", "Limited Spółka z o.o.").
_FORM_AFTER = re.compile(
    r"\W*(?:(?:SP[.,\s]*[JK]|S\.?\s?A|SP[ÓO]ŁKA|SPOLKA|Z\s?[O0][.,]?\s?[O0])\b\W*)+", re.IGNORECASE
)


def _ends_at_form(name: str) -> str:
    """``name`` up to its last registered form: what a row prints after "SDN BHD" or "Sp.
    z o.o." is the outlet, a branch code or the street ("MAJU JAYA BHD TAMAN OUTLET",
    "NOWAK Sp. z o.o. ul Lipowa 3")."""
    forms = list(_STRONG_FORM.finditer(name))
    if not forms:
        return name
    end = forms[-1].end()
    end += name[end : end + 1] == "."  # "Sp. z o.o." ends with its dot
    tail = name[end:]
    if not any(c.isalnum() for c in tail) or _FORM_AFTER.fullmatch(tail):
        return name
    return name[:end]


#: A stamp across the name ("POSTED", "PAID") is printed in letters this many times the
#: height and the width of the name's.
STAMP_SCALE = 1.8


def _stamp_words(line: Line) -> int:
    """How many words at the end of ``line`` are a stamp, not the name: letters well over
    the height and the width of the other words' (a box stretched over specks is taller
    but not wider a letter)."""
    words = line.words
    for k in range(1, len(words) - 1):  # two words of the name at least
        rest, end = words[:-k], words[-k:]
        if not end[0].text.isalpha():
            return 0
        (h, w), (eh, ew) = _letter_size(rest), _letter_size(end)
        if eh >= STAMP_SCALE * h and ew >= STAMP_SCALE * w:
            return k
    return 0


#: A mark read at the paper's edge lies within this share of the page width of its side...
EDGE = 0.06
#: ...apart from the row's words by more than this many row heights (as a column is)...
EDGE_GAP = 1.6
#: ...and its box is out of proportion with their letters: this many times as tall, or as
#: wide a letter.
EDGE_TALL = 1.5
EDGE_WIDE = 2.0


def edge_marks(line: Line) -> list[Word]:
    """The words of ``line`` that are marks at the paper's edge, not print: the shadow of
    a photo's paper edge or the table beside it read as a letter or three ("A" before
    "80-927 Gdańsk", 2 rows high and 2.5 letters wide, at the left edge). A short word at
    the page's edge, far from the row's words, in a box no letter of theirs has."""
    width = line.page_width
    out = []
    for word in line.words:
        others = [w for w in line.words if w is not word]
        if not others or not width or sum(c.isalnum() for c in word.text) > 3:
            continue
        if EDGE * width < word.left and word.right < (1 - EDGE) * width:
            continue
        height, per_letter = _letter_size(others)
        gap = min(max(o.left - word.right, word.left - o.right) for o in others)
        if gap <= EDGE_GAP * height:
            continue
        tall = word.height >= EDGE_TALL * height
        wide = word.width / max(1, len(word.text)) >= EDGE_WIDE * per_letter
        if tall or wide:
            out.append(word)
    return out


#: A word of one or two letters or digits alone in its column segment whose box is
#: narrower a letter than this share of the row's other words' is a speck read as a letter
#: ("Kajang" | "4" in a box 3 px wide where a letter takes 15)...
SPECK_NARROW = 0.35
#: ...unless its letters are narrow ones.
_NARROW_LETTERS = frozenset("1IiLlJjft!|:;.,'")


def specks(line: Line) -> list[Word]:
    """The words of ``line`` that are specks read as a letter or two (`SPECK_NARROW`)."""
    out = []
    for seg in line.segments:
        if len(seg) != 1 or len(line.segments) < 2:
            continue
        (word,) = seg
        letters = [c for c in word.text if c.isalnum()]
        if not 0 < len(letters) <= 2 or any(c in _NARROW_LETTERS for c in word.text):
            continue
        others = [w for w in line.words if w is not word]
        _, per_letter = _letter_size(others)
        if word.width / len(word.text) < SPECK_NARROW * per_letter:
            out.append(word)
    return out


#: A first or last word of one or two digits or marks, no letter, this many of the row's
#: heights from the rest of it is a mark at the paper's edge wherever it lies on the page
#: (a photo's paper not cut from the table: "4 P.H.U. ...", "CORNER MART        3"; a
#: letter so far out may be print, a tax code's: `edge_marks` judges those).
FAR_GAP = 4.0


def far_marks(line: Line) -> list[Word]:
    """The words at either end of ``line`` that are marks far out from it (`FAR_GAP`)."""
    words = line.words
    height = max((w.height for w in words), default=0)
    if len(words) < 2 or not height:
        return []
    out = []
    for lone, gap in (
        (words[0], words[1].left - words[0].right),
        (words[-1], words[-1].left - words[-2].right),
    ):
        marks = not any(c.isalpha() for c in lone.text) and len(lone.text) <= 2
        if marks and gap > FAR_GAP * height:
            out.append(lone)
    return out if len(out) < len(words) else []


def without_edge_marks(line: Line) -> Line:
    """``line`` without its `edge_marks`, `far_marks` and `specks` (the same line when it
    has none)."""
    marks = {id(w) for w in [*edge_marks(line), *far_marks(line), *specks(line)]}
    if not marks:
        return line
    return dataclasses.replace(
        line,
        words=[w for w in line.words if id(w) not in marks],
        segments=[
            kept for seg in line.segments if (kept := [w for w in seg if id(w) not in marks])
        ],
    )


def _letter_size(words: list) -> tuple[float, float]:
    """The median height of ``words`` and their mean width a letter."""
    heights = sorted(w.height for w in words)
    letters = max(1, sum(len(w.text) for w in words))
    return heights[len(heights) // 2], sum(w.width for w in words) / letters


def _continues_below(texts: list[str], at: int) -> bool:
    """Whether the name on line ``at`` goes on to the next line."""
    if at + 1 >= len(texts):
        return False
    name, nxt = texts[at], texts[at + 1]
    return (
        # broken after "&" or "AND"
        re.search(r"(?:&|\bAND)\s*$", name, re.I) is not None
        # a Polish sole trader's, whose owner's surname went to the next line
        # ('P.H.U. "ZIELONY SPICHLERZ" Zofia' / "Kamińska")
        or _surname_goes_on(name, nxt)
        # one that opens with its form ("RESTAURANT JIAWEI" / "JIAWEI HOUSE") when a short
        # line of words follows it just above the registration or address
        or (at + 2 < len(texts) and _name_goes_on(name, nxt, texts[at + 2]))
    )


def _surname_goes_on(name: str, nxt: str) -> bool:
    """Whether ``nxt`` is the surname of the owner a Polish sole trader's name ends with:
    the trade name in quotes is followed by one word (the first name), and ``nxt`` is one
    capitalised word."""
    if not _PL_SOLE_TRADER.match(name) or not re.search(r'["”“]', name):
        return False
    owner = re.split(r'["”“]', name)[-1].split()
    surname = nxt.strip()
    return (
        len(owner) == 1
        and re.fullmatch(r"[^\W\d_]{2,}", surname) is not None
        and surname[0].isupper()
    )


def _name_goes_on(name: str, nxt: str, after: str) -> bool:
    """Whether ``nxt`` continues the name ``name``, whose legal form does not end it
    ("RESTAURANT JIAWEI" / "JIAWEI HOUSE"): a short line of capitals followed by the
    registration number or the address."""
    if has_legal_suffix(squash(name.split()[-1]) if name.split() else ""):
        return False
    words = nxt.split()
    if not 1 <= len(words) <= 3 or not re.fullmatch(r"[A-Z][A-Z&'! ]+", nxt.strip()):
        return False
    if _ADDRESS_WORDS.search(nxt) or _is_contact(nxt) or has_legal_suffix(nxt):
        return False
    return _is_registration(after) or bool(_ADDRESS_WORDS.search(after) or _POSTCODE.search(after))


#: A line that opens with a house or lot number: "109, SS21/1A,", "NO 8, ...", "LOT 3".
_HOUSE_NUMBER = re.compile(r"\W*(?:NO|LOT)\b|\W*\d+\s*,", re.IGNORECASE)


#: A registration number in brackets, as a company prints it: "(201285-4)", "(123456-U)".
_REG_IN_LINE = re.compile(r"\s*[\(\[]\s*\d[\d ]{3,11}\s*-\s*[A-Z0-9¥]\s*[\)\]]", re.IGNORECASE)
#: ...printed after the company's name on one row: "Kedai Maju Malaysia (123456-A)" (a
#: Malaysian company prints its ROC number after its name).
_NAME_THEN_REG = re.compile(rf"(.*?[^\W\d_]{{3}}.*?){_REG_IN_LINE.pattern}\W*", re.IGNORECASE)


def _unlabelled_name(head: list[Line], texts: list[str]) -> int | None:
    """Index of the name line when no line carries a legal form: a row of words that ends
    with a registration number, else the text line just above the address (or
    registration) block, else the first confident line of words."""
    for i, text in enumerate(texts[:8]):
        m = _NAME_THEN_REG.fullmatch(text.strip())
        if m and not _REG_WORDS.search(m[1]) and not _is_contact(m[1]) and head[i].conf >= 0.6:
            return i
    for i, text in enumerate(texts[:8]):
        if (
            _is_registration(text)
            or _POSTCODE.search(text)
            or _ADDRESS_WORDS.search(text)
            or _HOUSE_NUMBER.match(text)
        ):
            if i > 0 and _is_name_like(head[i - 1], texts[i - 1]):
                return i - 1
            break
    for i, text in enumerate(texts[:4]):
        if _is_name_like(head[i], text):
            return i
    return None


#: A field of a restaurant's point of sale: "Server: Jess", "Station: 2", "Table 15",
#: "Guests: 4", "Check #4876" (neither the merchant's name nor its address).
_POS_FIELD = re.compile(
    r"^\W*(?:SERVER|STATION|TABLE|TBL|GUESTS?|COVERS?|PAX|CHECK|CHK)\b\s*(?:[#:]|NO\b|\d)",
    re.IGNORECASE,
)


def _is_name_like(line: Line, text: str) -> bool:
    # A registration number printed after the name ("99 SPEED MART (519537-X)") is not
    # part of it.
    text = re.sub(r"\s*[\(\[][^()\[\]]*\d{4,}[^()\[\]]*[\)\]]?\s*$", "", text)
    if _STOP.search(text) or _is_registration(text) or _PHONE_LIKE.search(text):
        return False
    if _POS_FIELD.match(text):
        return False
    if _POSTCODE.search(text) or _ADDRESS_WORDS.search(text):
        return False
    if _HOUSE_NUMBER.match(text):
        return False
    letters = sum(c.isalpha() for c in text)
    return letters >= 3 and letters >= 0.6 * len(text.replace(" ", "")) and line.conf >= 0.6


#: A five-digit lot or house number ("LOT P.T. 33198", "NO 12345") is not a postcode.
_LOT_NUMBER = re.compile(
    r"\b(?:LOT|NO|P\.?\s?T|UNIT|BLO?C?K)\.?\s*:?\s*(?:P\.?\s?T\.?\s*)?\d{5}\b", re.IGNORECASE
)


def _has_postcode(text: str) -> bool:
    return bool(_POSTCODE.search(_LOT_NUMBER.sub(" ", text)))


def _is_place_line(text: str) -> bool:
    """A short line of place words, maybe led by a branch number ("1320-TMN BATU", "KL
    FESTIVAL CITY MALL"): what a receipt prints under the postcode as the outlet."""
    rest = re.sub(r"^\d{1,5}\s?[-:]?\s?", "", text.strip())
    words = re.findall(r"[A-Za-z]{2,}", rest)
    chars = rest.replace(" ", "")
    return (
        1 <= len(words) <= 5
        and not re.search(r"\d", rest)
        and sum(c.isalpha() for c in chars) >= 0.8 * len(chars)
    )


def _repeats_end(previous: str, text: str) -> bool:
    """Whether ``text``, a line of place words, only repeats how the line above ends
    ("17, Jalan Merbah,Kota Raya" / "Kota Raya"). A postcode line printed
    again stays ("21, Jalan Duku, 54321 Kota Raya." / "54321 Kota Raya."): receipts do
    print it twice, and the address is what they print."""
    tail, whole = _folded(text), _folded(previous)
    if not _is_place_line(text) or re.search(r"\d", text):
        return False
    return bool(tail) and whole.endswith(tail) and whole != tail


def _folded(text: str) -> str:
    """Letters and digits only, upper case, without accents ("Śri" reads as "SRI")."""
    plain = unicodedata.normalize("NFKD", text.upper())
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c))


def _address(
    head: list[Line],
    texts: list[str],
    start: int,
    name: str | None = None,
    known: Container[str] | None = None,
) -> tuple[str | None, float]:
    """The address block after the name: from its first address-like line to the line
    with the postcode (plus short town, state or country lines, and an outlet line just
    above the contact details), stopping at contact details."""
    addr: list[str] = []
    confs: list[float] = []
    used: list[Line] = []
    seen_postcode = False
    rows = head[start:]
    named = _folded(name) if name else ""

    def take(text: str, line: Line) -> None:
        addr.append(address_row_text(text if addr else _from_opener(text)))
        confs.append(line.conf)
        used.append(line)

    for k, line in enumerate(rows):
        text = line.text.strip()
        if not addr and len(named) >= 5 and _folded(text).startswith(named):
            continue  # the name again with its outlet ("ROTI MAJU CAFE TAMAN SERI")
        if addr and not seen_postcode and _POSTCODE_ALONE.fullmatch(text):
            # the postcode on a row of its own under the street ("NO 3, JLN BUNGA 2/7" /
            # "43000"), no registration number
            take(text, line)
            seen_postcode = True
            continue
        if not addr and (_BRACKETED_ROW.fullmatch(text) or _SHORT_NUMBER_ROW.fullmatch(text)):
            # an aside under the name, wholly in brackets (an outlet, a number), or a
            # short number alone on its row, which no address opens with (a speck read)
            continue
        if (
            _is_registration(text)
            or _POS_FIELD.match(text)
            or (not addr and not _looks_like_address(text))
        ):
            if addr:
                break
            continue
        if _is_contact(text):
            # the address's last row with the phone after it ("43000 Kajang, Selangor.
            # Tel No.: 03-1234 5678"): the place before the label
            before = _before_contact(text)
            if before and _looks_like_place(before) and not _is_registration(before):
                take(before, line)
                seen_postcode = seen_postcode or _has_postcode(before)
                break
            if addr or not _looks_like_address(text):
                break
            continue
        if seen_postcode:
            # After the postcode only a state or country line ("SELANGOR", "MALAYSIA"),
            # or the town when the postcode ended the line above ("11900" / "BAYAN LEPAS").
            words = re.findall(r"[A-Za-z]+", text)
            town_next = re.search(r"\d\W*$", addr[-1]) is not None
            # ... or any place line when the line above ends with a comma ("54321
            # KOTA RAYA," / "BUKIT SERI,"): the address says it goes on.
            # (read with some confidence: garbage under it is not "the address goes on")
            goes_on = re.search(r",[\s._-]*$", addr[-1]) is not None and line.conf >= 0.6
            # ... or the outlet's own line, when contact details follow it at once.
            outlet = (
                _is_place_line(text)
                and k + 1 < len(rows)
                and _is_contact(rows[k + 1].text)
                and not parse_dates(text)
            )
            if not outlet and (re.search(r"\d", text) or len(words) > 6):
                break
            # (a region a letter off: "setangor" under "47400 Petaling Jaya")
            # (or one split in two: "Se langor")
            region = _ADDRESS_WORDS.search(
                _BUILDING_WORDS.sub(" ", repair_address(text))
            ) or _ADDRESS_WORDS.fullmatch(text.replace(" ", "").strip(".,"))
            if not town_next and not goes_on and not outlet and not region:
                break
        if parse_dates(text) or _has_money(text):
            if addr:
                break
            continue
        text = _REG_IN_LINE.sub("", text)
        if addr and _repeats_end(addr[-1], text):
            continue
        take(text, line)
        seen_postcode = seen_postcode or _has_postcode(addr[-1])
        if len(addr) >= 6 or (seen_postcode and _ENDS_WITH_COUNTRY.search(text)):
            break  # the country is a postal address's last row
    if not addr:
        return None, 0.0
    confs = confs[_street_start(addr) :]  # a branch line above the street is dropped
    return compose_address(addr, used, known), (0.8 if seen_postcode else 0.5) * min(confs)


#: A row that ends with the country's name.
_ENDS_WITH_COUNTRY = re.compile(r"\b(?:MALAYSIA|POLSKA)\W*$", re.IGNORECASE)
#: What opens an address's first row: a house, lot or unit number ("NO. 5", "LOT 12",
#: "Unit G-4", "LOT LG 7"); "BR No. NO 9" opens at the second NO.
_OPENER = re.compile(r"\b(?:NO|LOT|UNIT)\b[.:]?\s*(?=(?:(?!NO\b)[A-Z]{1,2}[\s-]?)?\d)", re.I)


def _from_opener(text: str) -> str:
    """An address's first row from its opener on, when what stands before it is a label,
    a registration number or a speck: at most two tokens, no comma, no address word, no
    LOT or UNIT ("HQ ADD: LOT 7", "BR No. NO 9", "15 NO. 8"; not "LOT NO. G5")."""
    m = _OPENER.search(text)
    if m is None or m.start() == 0:
        return text
    before = text[: m.start()]
    words = {w.upper() for w in re.findall(r"[^\W\d_]+", before)}
    if len(before.split()) > 2 or "," in before or words & {*STREET_WORDS, "LOT", "UNIT"}:
        return text
    return text[m.start() :]


#: A row wholly in brackets ("(TOWN SHOP (12345))").
_BRACKETED_ROW = re.compile(r"\W*\(.*\)\W*")
#: A number of one to three digits alone on its row.
_SHORT_NUMBER_ROW = re.compile(r"\W*\d{1,3}\W*")
#: A postcode alone on its row.
_POSTCODE_ALONE = re.compile(r"\W*(?:\d{5}|\d{2}-\d{3})\W*")


def _before_contact(text: str) -> str:
    """What a row holds before its first contact label ("Tel", "Fax", "GST"), or ""."""
    m = _STOP.search(text)
    return text[: m.start()].strip(" .,;:-|") if m and m.start() > 0 else ""


def _street_start(addr: list[str]) -> int:
    """The first row of a Polish street when a branch line stands above it, else 0."""
    street = [i for i, a in enumerate(addr) if _PL_STREET.search(a)]
    return street[0] if street and street[0] > 0 else 0


def address_row_text(text: str) -> str:
    """An address row's text without a registration number and stray marks at its ends."""
    return _REG_IN_LINE.sub("", text).strip(" :;|_—~'\"`*").strip()


def compose_address(addr: list[str], used: list[Line], known: Container[str] | None = None) -> str:
    """The address from the texts of its rows (`address_row_text`) and the rows
    themselves: a branch line above a Polish street dropped, one spelling for a word
    printed twice, address words repaired, specks trimmed."""
    if start := _street_start(addr):
        # "Sklep nr 12" above "ul. Długa 5": a branch line, not the address.
        addr = addr[start:]
        street = _PL_STREET.search(addr[0])
        assert street is not None, "_street_start points at a street row"
        addr[0] = addr[0][street.start() :].strip()
    elif (m := _PL_STREET.search(addr[0])) and m.start() > 0:
        # specks before the street on its own row: "Z | al. Niepodległości 80A"
        before = addr[0][: m.start()]
        if sum(c.isalnum() for c in before) <= 3 and not re.search(r"\d", before):
            addr[0] = addr[0][m.start() :].strip()
    addr = agree_spellings(addr, used)
    # line by line: "UTAMA 8" ending one line and "57000" opening the next is no "8 & 5"
    text = " ".join(repair_address(a, known) for a in addr if a)
    return _trim_specks(text)


def agree_spellings(texts: list[str], lines: list[Line]) -> list[str]:
    """One spelling for a word an address prints twice: "TAMAN MALURI SC" and "TAMAN
    MALURT CHERAS" are one place, and of two spellings a letter apart (words of five
    letters or more) the one Tesseract read with more confidence, summed over where it
    occurs, is kept. Address words (STREET_WORDS) stay as they are."""
    support: dict[str, float] = {}
    for line in lines:
        for word in line.words:
            for part in re.findall(r"[^\W\d_]{5,}", word.text):
                support[part.upper()] = support.get(part.upper(), 0.0) + max(word.conf, 0.0)

    def agreed(m: re.Match) -> str:
        up = m[0].upper()
        if up in STREET_WORDS:
            return m[0]  # a word of its own ("KEPONG UTARA" beside "BANDAR UTAMA")
        rivals = [w for w in support if one_edit(up, w) and support[w] > support.get(up, 0.0)]
        if len(rivals) != 1:
            return m[0]
        return same_case(rivals[0], m[0])

    return [re.sub(r"[^\W\d_]{5,}", agreed, t) for t in texts]


def _trim_specks(address: str) -> str:
    """An address without the specks OCR reads around its words: a lone dash at the end, a
    lower-case letter or two after an address in capitals ("SETIA ALAM s."), a lone
    letter or digit before its first word ("i ul. Lipowa", "1 NO 48"), and a comma read
    as a lone "j" ("Street j York")."""
    address = re.sub(r"\s+[-–—]+$", "", address)
    address = re.sub(r"^(?:[a-z]|\d(?=\s+(?i:NO|LOT|UL|AL)\b))\s+", "", address)
    address = re.sub(r"(?<=\w)\s+j\s+(?=\w)", ", ", address)
    # a comma after a Polish house number, or a speck after the town, read as a digit or a
    # lower-case letter or two: "ul. Ogrodowa 170 zł 51-121 Wrocław", "Zielona Góra 8"
    address = re.sub(
        r"(\d[A-Z]?)\s+(?:\d|[a-ząćęłńóśźż]{1,3})\s+(?=\d{2}-\d{3}\b)", r"\1 ", address
    )
    address = re.sub(r"(\b\d{2}-\d{3}\s+\w+(?:\s\w+)?)\s+(?:\d|[a-z])$", r"\1", address)
    head, _, tail = address.rpartition(" ")
    if head and re.fullmatch(r"[a-z]{1,2}\W?", tail) and head == head.upper():
        return head
    # inside an address in capitals, a lone word of one to three lower-case letters is a
    # speck ("47301 i PETALING JAYA", "on NO 62", "31400 faa IPOH")
    words = address.split(" ")
    specks = [w for w in words if re.fullmatch(r"[a-z]{1,3}", w)]
    if specks and "".join(c for w in words if w not in specks for c in w if c.isalpha()).isupper():
        address = " ".join(w for w in words if w not in specks)
    return address


#: A header row that is a phone number and nothing else, printed in its groups: "(559)
#: 555-0144", "+44 1632 960006", "03-7876 5432". A row of digits alone is an id, and a
#: date or a postcode has too few digits.
_PHONE_ROW = re.compile(r"[^\w(+]*(\+?\(?\d{2,4}\)?(?:[\s.-]{1,2}\d{2,6}){1,3})\W*")


def header_phone(texts: list[str]) -> str | None:
    """A phone number printed without a label on a row of the header of its own (not a
    NIP in its printed groups, nor a date)."""
    for t in texts:
        m = _PHONE_ROW.fullmatch(t.strip())
        if not m or not 7 <= sum(c.isdigit() for c in m[1]) <= 15:
            continue
        if not nip_candidates(t) and not parse_dates(t):
            return m[1].strip()
    return None


def find_phone(texts: list[str]) -> str | None:
    """The first labelled phone number, spaces kept as printed."""
    for t in texts:
        if m := _PHONE.search(t):
            digits = re.sub(r"\D", "", m[1])
            if 7 <= len(digits) <= 15:
                return m[1].strip()
    return None
