"""The vocabulary of addresses and business names, and the OCR slips it repairs."""

from __future__ import annotations

from receiptq.pipeline.analysis.vocabulary import repair_address, repair_business_words


def test_repair_address():
    assert (
        repair_address("NO.32 8 33, Jin SR 1/9, Jalau Merah")
        == "NO.32 & 33, Jln SR 1/9, Jalan Merah"
    )
    assert repair_address("KAWASAN PERINIUSTRIAN, SELANGOL") == "KAWASAN PERINDUSTRIAN, SELANGOR"
    # the short second word of a two-word place, after the first
    assert repair_address("40300 Shah Alan, Selangor") == "40300 Shah Alam, Selangor"
    assert repair_address("ALAN SHAH, ALAN") == "ALAN SHAH, ALAN"
    # A real number between words stays.
    assert repair_address("JALAN KPS 9 KAWASAN") == "JALAN KPS 9 KAWASAN"
    # digits read as letters in the short words: a floor's ordinal, NO, KG
    assert repair_address("SRD FLR, AEON TAMAN") == "3RD FLR, AEON TAMAN"
    assert repair_address("IST FLOOR, Wisma") == "1ST FLOOR, Wisma"
    assert repair_address("SRD AVENUE") == "SRD AVENUE"  # not before a floor: left alone
    assert repair_address("N0.12, JALAN DUKU, KO. SERI") == "NO.12, JALAN DUKU, KG. SERI"
    # an address word of its own is not "repaired" into its neighbour (LAMAN, TAMAN)
    assert repair_address("Laman Cempaka Kepong") == "Laman Cempaka Kepong"
    assert repair_address("Tanan Cempaka") == "Taman Cempaka"
    # the first word of a two-word place, before its second (even split: "A lam")
    assert repair_address("40300 Shab A lam, Selangor.") == "40300 Shah A lam, Selangor."
    assert repair_address("47400 Petaliny Jaya") == "47400 Petaling Jaya"
    # a section code printed twice, once with a digit read as a letter
    assert repair_address("JALAN DUKU DK U5/DK, SEKSYEN US, 40150") == (
        "JALAN DUKU DK U5/DK, SEKSYEN U5, 40150"
    )
    assert repair_address("Jalan K1, 50450 KL") == "Jalan K1, 50450 KL"  # KL is KL
    # an address word glued to the next: split, then repaired
    assert repair_address("Lot 8, JalauMerpati 17/1") == "Lot 8, Jalan Merpati 17/1"
    assert repair_address("McDonaldBurger") == "McDonaldBurger"
    # the second word of a place two edits off, after its first; a slash read as ":"
    assert repair_address("Merpati 17:1, 40300 Shah Altai,") == "Merpati 17/1, 40300 Shah Alam,"
    assert repair_address("SRI PETALING JALAN 1") == "SRI PETALING JALAN 1"  # a word itself
    assert repair_address("SHAH BANDAR") == "SHAH BANDAR"
    # a letter OCR wrote as "_" (no address prints an underscore)
    assert repair_address("NO.7,JA_AN SS9/3") == "NO.7,JALAN SS9/3"
    assert repair_address("SNAP_ON_TOOLS") == "SNAP_ON_TOOLS"


def test_address_words_are_repaired_only_when_one_word_fits():
    assert repair_address("MUKIN KAPAR, 42100 KLANG") == "MUKIM KAPAR, 42100 KLANG"
    assert repair_address("Kepong Utara, 52100") == "Kepong Utara, 52100"  # a word itself
    # one letter from both UTAMA and UTARA: left as read
    assert repair_address("BANDAR UTANA") == "BANDAR UTANA"


def test_what_a_business_is_is_repaired_in_its_name():
    assert repair_business_words("KENANGA CONFECTIUNERY SDN BHD") == (
        "KENANGA CONFECTIONERY SDN BHD"
    )
    assert repair_business_words("Maju Harduare Trading") == "Maju Hardware Trading"
    # a word of the word list is no misread one ("BAKERS" is not BAKERY)
    known = {"bakers"}
    assert repair_business_words("GARDENA BAKERS SDN BHD", known) == "GARDENA BAKERS SDN BHD"
    assert repair_business_words("GARDENA BAKERS SDN BHD") == "GARDENA BAKERY SDN BHD"


def test_a_real_word_a_letter_from_a_street_word_is_left_as_it_is():
    """JAPAN is a letter from JALAN, and a word of the word list: no misreading of it."""
    known = {"japan", "mall"}
    assert repair_address("NIKO JAPAN, SERI MALL", known) == "NIKO JAPAN, SERI MALL"
    assert repair_address("NO 5, JALAU DUKU", known) == "NO 5, JALAN DUKU"  # still repaired


def test_an_eight_between_numbers_is_an_ampersand_but_not_after_a_word():
    assert repair_address("LOT 1851-A 8 1851-B") == "LOT 1851-A & 1851-B"
    assert repair_address("NO.113G 6 115G") == "NO.113G & 115G"
    assert repair_address("LOT 1504, BATU 8 1/2, JALAN KLANG") == (
        "LOT 1504, BATU 8 1/2, JALAN KLANG"
    )


def test_ones_read_for_the_last_letters_of_a_word_or_the_l_of_jln():
    known = {"mall", "nol"}
    assert repair_address("AEON Ma11 KOTA, J1n Merbah", known) == "AEON Mall KOTA, Jln Merbah"
    assert repair_address("No1, Medan Seri", known) == "No1, Medan Seri"  # a house number
    assert repair_address("Blok Ma11", set()) == "Blok Ma11"  # no known word: as read
