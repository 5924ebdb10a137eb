"""Word lists the synthetic receipts are assembled from.

Everything here is invented (merchant names, streets, products), so the committed samples
carry no real company's data; combining a few short lists per field still gives thousands
of distinct receipts. Product prices are plausible ranges, not real price lists.
"""

from __future__ import annotations

from dataclasses import dataclass

# Categories taxed at the standard rate on English-language receipts (UK VAT "A",
# Malaysian GST "SR", US sales tax "T"); the rest are treated as zero-rated basic food.
STANDARD_RATED = frozenset({"drinks", "snacks_sweets", "household", "personal_care"})


@dataclass(frozen=True)
class Product:
    """One sellable line: name as printed, category label, price range in the local currency."""

    name: str
    category: str
    low: float
    high: float
    weighed: bool = False  # sold by the kilogram / pound: quantity has three decimals
    ptu: str = ""  # Polish VAT letter; empty = the default for the category


def _p(name: str, category: str, low: float, high: float, **kw: object) -> Product:
    return Product(name, category, low, high, **kw)  # type: ignore[arg-type]


PRODUCTS_PL: tuple[Product, ...] = (
    _p("Mleko 3,2% 1L", "dairy", 2.89, 4.49),
    _p("Mleko 2% UHT 1L", "dairy", 2.79, 3.99),
    _p("Jogurt naturalny 400g", "dairy", 2.49, 4.99),
    _p("Ser żółty Gouda plastry 150g", "dairy", 4.99, 8.99),
    _p("Twaróg półtłusty 250g", "dairy", 3.49, 5.99),
    _p("Masło extra 82% 200g", "dairy", 5.99, 9.49),
    _p("Śmietana 18% 400g", "dairy", 3.99, 6.49),
    _p("Kefir 1L", "dairy", 3.29, 4.99),
    _p("Chleb żytni 500g", "bakery", 3.99, 7.49),
    _p("Bułka kajzerka", "bakery", 0.39, 0.89),
    _p("Chleb pszenny krojony", "bakery", 3.49, 5.99),
    _p("Rogal maślany", "bakery", 1.29, 2.49),
    _p("Pączek z różą", "bakery", 1.99, 3.49),
    _p("Filet z kurczaka", "meat_fish", 19.99, 29.99, weighed=True),
    _p("Schab wieprzowy", "meat_fish", 17.99, 26.99, weighed=True),
    _p("Kiełbasa śląska", "meat_fish", 18.99, 32.99, weighed=True),
    _p("Szynka konserwowa 100g", "meat_fish", 3.99, 7.99),
    _p("Łosoś wędzony 100g", "meat_fish", 9.99, 16.99),
    _p("Śledź w oleju 300g", "meat_fish", 6.49, 11.99),
    _p("Pomidory", "fruit_vegetables", 6.99, 14.99, weighed=True),
    _p("Ziemniaki", "fruit_vegetables", 1.99, 4.49, weighed=True),
    _p("Jabłka Ligol", "fruit_vegetables", 2.99, 5.99, weighed=True),
    _p("Banany", "fruit_vegetables", 4.99, 7.99, weighed=True),
    _p("Ogórki zielone", "fruit_vegetables", 4.99, 12.99, weighed=True),
    _p("Marchew", "fruit_vegetables", 2.49, 4.99, weighed=True),
    _p("Cebula żółta", "fruit_vegetables", 2.49, 4.49, weighed=True),
    _p("Woda mineralna 1,5L", "drinks", 1.29, 2.99, ptu="B"),
    _p("Sok jabłkowy 1L", "drinks", 3.49, 6.99, ptu="C"),
    _p("Napój gazowany 0,5L", "drinks", 2.99, 5.49, ptu="A"),
    _p("Kawa mielona 250g", "drinks", 12.99, 24.99, ptu="A"),
    _p("Herbata czarna 100 tor.", "drinks", 6.99, 14.99, ptu="A"),
    _p("Czekolada mleczna 100g", "snacks_sweets", 3.49, 6.99),
    _p("Chipsy solone 140g", "snacks_sweets", 4.99, 8.49),
    _p("Wafelki orzechowe", "snacks_sweets", 1.49, 3.49),
    _p("Ciastka owsiane 150g", "snacks_sweets", 3.99, 6.99),
    _p("Mąka pszenna 1kg", "pantry", 2.99, 4.99, ptu="C"),
    _p("Cukier biały 1kg", "pantry", 3.49, 5.99, ptu="C"),
    _p("Makaron świderki 500g", "pantry", 3.49, 6.99, ptu="C"),
    _p("Ryż długoziarnisty 1kg", "pantry", 4.99, 8.99, ptu="C"),
    _p("Olej rzepakowy 1L", "pantry", 7.49, 11.99, ptu="C"),
    _p("Jaja kurze L 10szt", "pantry", 8.99, 14.99, ptu="C"),
    _p("Koncentrat pomidorowy", "pantry", 2.29, 3.99, ptu="C"),
    _p("Pierogi ruskie mroż. 450g", "frozen", 6.99, 11.99, ptu="C"),
    _p("Lody waniliowe 1L", "frozen", 8.99, 15.99, ptu="B"),
    _p("Mieszanka warzywna 450g", "frozen", 4.49, 7.99, ptu="C"),
    _p("Płyn do naczyń 900ml", "household", 4.99, 9.99),
    _p("Papier toaletowy 8 rolek", "household", 9.99, 19.99),
    _p("Ręczniki papierowe 2szt", "household", 5.99, 10.99),
    _p("Worki na śmieci 35L", "household", 3.99, 7.99),
    _p("Pasta do zębów 75ml", "personal_care", 5.99, 12.99),
    _p("Mydło w płynie 500ml", "personal_care", 5.49, 10.99),
    _p("Szampon 400ml", "personal_care", 9.99, 18.99),
)

# Default PTU letter per category when the product does not set one.
PTU_BY_CATEGORY = {
    "dairy": "C",
    "bakery": "C",
    "meat_fish": "C",
    "fruit_vegetables": "C",
    "pantry": "C",
    "frozen": "C",
    "drinks": "B",
    "snacks_sweets": "B",
    "household": "A",
    "personal_care": "A",
}
PTU_RATES = {"A": 23, "B": 8, "C": 5}

PRODUCTS_EN: tuple[Product, ...] = (
    _p("Semi Skimmed Milk 2L", "dairy", 1.15, 1.95),
    _p("Whole Milk 1L", "dairy", 0.85, 1.45),
    _p("Greek Style Yogurt 500g", "dairy", 1.25, 2.75),
    _p("Mature Cheddar 400g", "dairy", 2.99, 4.50),
    _p("Salted Butter 250g", "dairy", 1.89, 2.99),
    _p("Free Range Eggs 12pk", "dairy", 2.10, 3.60),
    _p("White Bread 800g", "bakery", 0.75, 1.65),
    _p("Wholemeal Loaf", "bakery", 1.10, 2.20),
    _p("Croissants 4pk", "bakery", 1.35, 2.50),
    _p("Bagels Plain 5pk", "bakery", 1.20, 2.10),
    _p("Chicken Breast Fillets", "meat_fish", 5.50, 8.99, weighed=True),
    _p("Beef Mince 500g", "meat_fish", 2.99, 4.99),
    _p("Smoked Salmon 100g", "meat_fish", 2.49, 4.50),
    _p("Pork Sausages 8pk", "meat_fish", 1.99, 3.49),
    _p("Bananas Loose", "fruit_vegetables", 0.79, 1.29, weighed=True),
    _p("Gala Apples", "fruit_vegetables", 1.50, 2.99, weighed=True),
    _p("Carrots", "fruit_vegetables", 0.45, 0.99, weighed=True),
    _p("Baby Spinach 200g", "fruit_vegetables", 1.00, 1.95),
    _p("Cherry Tomatoes 250g", "fruit_vegetables", 0.95, 1.85),
    _p("Red Onions", "fruit_vegetables", 0.60, 1.20, weighed=True),
    _p("Orange Juice 1L", "drinks", 1.10, 2.49),
    _p("Sparkling Water 6x500ml", "drinks", 1.80, 3.20),
    _p("Cola 2L", "drinks", 1.25, 2.50),
    _p("Ground Coffee 227g", "drinks", 2.99, 5.50),
    _p("Tea Bags 80s", "drinks", 1.50, 3.25),
    _p("Milk Chocolate Bar", "snacks_sweets", 0.75, 1.85),
    _p("Ready Salted Crisps 6pk", "snacks_sweets", 1.30, 2.40),
    _p("Digestive Biscuits", "snacks_sweets", 0.95, 1.75),
    _p("Salted Peanuts 200g", "snacks_sweets", 1.10, 1.99),
    _p("Basmati Rice 1kg", "pantry", 1.69, 2.99),
    _p("Penne Pasta 500g", "pantry", 0.65, 1.25),
    _p("Chopped Tomatoes 400g", "pantry", 0.45, 0.95),
    _p("Plain Flour 1.5kg", "pantry", 0.85, 1.45),
    _p("Granulated Sugar 1kg", "pantry", 0.95, 1.35),
    _p("Sunflower Oil 1L", "pantry", 1.49, 2.79),
    _p("Frozen Peas 900g", "frozen", 1.10, 1.95),
    _p("Margherita Pizza", "frozen", 1.50, 3.50),
    _p("Vanilla Ice Cream 1L", "frozen", 1.80, 3.75),
    _p("Fish Fingers 10pk", "frozen", 1.60, 2.95),
    _p("Washing Up Liquid", "household", 0.99, 2.25),
    _p("Toilet Tissue 9 Roll", "household", 3.50, 5.99),
    _p("Kitchen Roll 2pk", "household", 1.60, 2.99),
    _p("Bin Bags 20pk", "household", 1.25, 2.50),
    _p("Toothpaste 100ml", "personal_care", 1.00, 2.75),
    _p("Shower Gel 250ml", "personal_care", 1.20, 3.00),
    _p("Shampoo 400ml", "personal_care", 1.99, 4.50),
)

# Malaysian shop receipts are upper-case and priced in ringgit (roughly x4 the UK range).
PRODUCTS_MY: tuple[Product, ...] = (
    _p("FRESH MILK 1L", "dairy", 6.50, 8.90),
    _p("CHEDDAR SLICES 250G", "dairy", 9.90, 14.50),
    _p("YOGURT STRAWBERRY 130G", "dairy", 2.20, 3.50),
    _p("WHITE BREAD 400G", "bakery", 3.20, 4.60),
    _p("KAYA BUN", "bakery", 1.20, 2.40),
    _p("WHOLEMEAL BREAD", "bakery", 3.90, 5.50),
    _p("CHICKEN WHOLE", "meat_fish", 9.50, 12.90, weighed=True),
    _p("IKAN KEMBUNG", "meat_fish", 12.00, 18.00, weighed=True),
    _p("PRAWN MEDIUM", "meat_fish", 28.00, 45.00, weighed=True),
    _p("SAWI HIJAU", "fruit_vegetables", 4.00, 7.50, weighed=True),
    _p("BANANA BERANGAN", "fruit_vegetables", 5.00, 8.00, weighed=True),
    _p("TOMATO", "fruit_vegetables", 4.50, 8.90, weighed=True),
    _p("MINERAL WATER 1.5L", "drinks", 1.20, 2.20),
    _p("SOY BEAN DRINK 1L", "drinks", 3.20, 4.80),
    _p("3IN1 COFFEE 15S", "drinks", 9.90, 15.90),
    _p("TEH BAG 100S", "drinks", 7.50, 11.90),
    _p("POTATO CHIPS 160G", "snacks_sweets", 4.50, 7.90),
    _p("CREAM CRACKERS 428G", "snacks_sweets", 5.20, 7.40),
    _p("CHOCOLATE WAFER", "snacks_sweets", 1.00, 2.50),
    _p("BERAS WANGI 5KG", "pantry", 17.90, 26.90),
    _p("GULA PASIR 1KG", "pantry", 2.85, 3.20),
    _p("MINYAK MASAK 2KG", "pantry", 9.90, 14.50),
    _p("TELUR GRED A 10S", "pantry", 4.50, 6.20),
    _p("KICAP MANIS 345ML", "pantry", 3.50, 5.90),
    _p("FROZEN FRIES 1KG", "frozen", 8.90, 13.90),
    _p("CHICKEN NUGGET 800G", "frozen", 12.90, 18.90),
    _p("DISHWASH LEMON 900ML", "household", 4.50, 7.90),
    _p("TISSUE ROLL 10S", "household", 9.90, 15.90),
    _p("DETERGENT POWDER 2KG", "household", 12.90, 21.90),
    _p("TOOTHPASTE 150G", "personal_care", 5.90, 9.90),
    _p("SHAMPOO 340ML", "personal_care", 9.90, 17.90),
)

# --- merchants and addresses -----------------------------------------------------------

PL_NAME_FIRST = ("Dobry", "Zielony", "Złoty", "Nasz", "Świeży", "Wiejski", "Miejski", "Jasny")
PL_NAME_SECOND = ("Koszyk", "Rynek", "Kłos", "Sad", "Spichlerz", "Groszek", "Zakątek", "Młyn")
PL_LEGAL_FORMS = ("Sp. z o.o.", "S.A.", "Sp. z o.o. Sp. k.", "Sp. j.")
PL_SHOP_KINDS = ("Sklep Spożywczy", "Delikatesy", "Market", "Sklep Osiedlowy")
PL_OWNERS = ("Anna Nowak", "Jan Kowalski", "Ewa Wiśniewska", "Piotr Wójcik", "Zofia Kamińska")
PL_STREETS = (
    "ul. Kwiatowa",
    "ul. Lipowa",
    "ul. Polna",
    "ul. Słoneczna",
    "ul. Ogrodowa",
    "ul. Świętokrzyska",
    "ul. Długa",
    "al. Niepodległości",
    "ul. Źródlana",
    "ul. Żeromskiego",
    "os. Różane",
)
# (city, first two digits of its postal codes)
PL_CITIES = (
    ("Warszawa", ("00", "01", "02", "03", "04")),
    ("Kraków", ("30", "31")),
    ("Łódź", ("90", "91", "93")),
    ("Wrocław", ("50", "51", "53")),
    ("Poznań", ("60", "61")),
    ("Gdańsk", ("80",)),
    ("Białystok", ("15",)),
    ("Zielona Góra", ("65",)),
)

MY_NAME_FIRST = ("SIN HUAT", "MEGAH JAYA", "SERI INDAH", "KIM SENG", "AL-AMIN", "TEONG HIN")
MY_NAME_SECOND = ("TRADING", "ENTERPRISE", "MINI MARKET", "SUPERSTORE", "GROCER", "MART")
MY_STREETS = ("JALAN MEGAH", "JALAN SERI PUTRA", "JALAN KENANGA", "JALAN MAWAR", "JALAN BUNGA RAYA")
MY_TAMAN = ("TAMAN SRI INDAH", "TAMAN MUTIARA", "TAMAN DAYA", "TAMAN BUKIT INDAH", "TAMAN MELAWATI")
MY_TOWNS = (
    ("81300", "SKUDAI", "JOHOR"),
    ("47301", "PETALING JAYA", "SELANGOR"),
    ("53100", "KUALA LUMPUR", "W.P. KUALA LUMPUR"),
    ("11900", "BAYAN LEPAS", "PULAU PINANG"),
    ("31400", "IPOH", "PERAK"),
)

UK_NAME_FIRST = ("Harbour", "Greenway", "Oakfield", "Meadow", "Riverside", "Kingsway", "Brook")
UK_NAME_SECOND = ("Foods", "Market", "Grocers", "Stores", "Food Hall", "Local")
UK_STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street")
UK_TOWNS = (
    ("Leeds", "LS1"),
    ("Bristol", "BS1"),
    ("Norwich", "NR2"),
    ("York", "YO1"),
    ("Cardiff", "CF10"),
    ("Bath", "BA1"),
)

US_NAME_FIRST = ("Fresh", "Valley", "Sunny", "Corner", "Prairie", "Lakeside", "Maple")
US_NAME_SECOND = ("Market", "Grocery", "Foods", "Mart", "Pantry")
US_STREETS = ("Main St", "Oak Ave", "Elm St", "Washington Blvd", "Maple Dr", "Park Ave")
US_TOWNS = (
    ("Springfield", "IL", "627", 0.0625),
    ("Columbus", "OH", "432", 0.0575),
    ("Austin", "TX", "787", 0.0825),
    ("Denver", "CO", "802", 0.029),
    ("Albany", "NY", "122", 0.08),
)

CASHIERS_EN = ("SARAH", "DAVID", "AMIR", "LEE", "NURUL", "TOM", "JESS")

DINER_NAME_FIRST = ("Copper", "Rusty", "Harbor", "Old Mill", "Blue Heron", "Juniper", "Red Barn")
DINER_NAME_SECOND = ("Grill", "Diner", "Bistro", "Kitchen", "Tavern", "Cafe", "Smokehouse")
# Dishes of a US menu, in the categories nearest them; prices in dollars.
DISHES: tuple[Product, ...] = tuple(
    Product(name, category, low, high)
    for name, category, low, high in (
        ("Cheeseburger", "meat_fish", 9.5, 16.0),
        ("Chicken Sandwich", "meat_fish", 9.0, 15.0),
        ("Caesar Salad", "fruit_vegetables", 7.0, 13.0),
        ("Fish Tacos", "meat_fish", 10.0, 17.0),
        ("Ribeye Steak", "meat_fish", 24.0, 39.0),
        ("Buffalo Wings", "meat_fish", 9.0, 15.0),
        ("Mac & Cheese", "dairy", 6.0, 12.0),
        ("French Fries", "fruit_vegetables", 3.5, 6.0),
        ("Clam Chowder", "meat_fish", 5.0, 9.0),
        ("Pancake Stack", "bakery", 7.0, 12.0),
        ("Iced Tea", "drinks", 2.5, 4.0),
        ("Fountain Soda", "drinks", 2.0, 3.5),
        ("Draft Beer", "drinks", 5.0, 8.0),
        ("House Wine Glass", "drinks", 7.0, 12.0),
        ("Coffee", "drinks", 2.0, 3.5),
        ("Apple Pie", "bakery", 5.0, 8.0),
    )
)
DISH_MODIFIERS = ("No Onions", "Add Bacon", "Side Salad", "Well Done", "Extra Sauce", "To Go")
