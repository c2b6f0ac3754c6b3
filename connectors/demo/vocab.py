"""The fixed vocabulary of the demo company: regions, channels, stages, products and name pools.

Everything here is plain data. Builders index into these tuples with vectorised numpy draws, so
the order of every tuple is part of the deterministic output: append, never reorder.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEMS = ("salesforce", "hubspot")
SF, HS = 0, 1  # codes of SYSTEMS

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SMB, MID, ENT = 0, 1, 2
# Share of each segment among the accounts of each CRM: Salesforce holds the sales-led business.
SEGMENT_MIX = {SF: (0.08, 0.60, 0.32), HS: (0.85, 0.15, 0.0)}

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_MIX = {SF: (0.50, 0.28, 0.14, 0.08), HS: (0.45, 0.25, 0.15, 0.15)}

# (country, region code, currency, weight within its region)
COUNTRIES: tuple[tuple[str, int, str, float], ...] = (
    ("United States", 0, "USD", 0.86),
    ("Canada", 0, "USD", 0.14),
    ("United Kingdom", 1, "GBP", 0.30),
    ("Germany", 1, "EUR", 0.22),
    ("France", 1, "EUR", 0.14),
    ("Netherlands", 1, "EUR", 0.08),
    ("Spain", 1, "EUR", 0.06),
    ("Ireland", 1, "EUR", 0.04),
    ("Sweden", 1, "USD", 0.07),
    ("United Arab Emirates", 1, "USD", 0.05),
    ("Israel", 1, "USD", 0.04),
    ("Australia", 2, "USD", 0.34),
    ("Singapore", 2, "USD", 0.20),
    ("Japan", 2, "USD", 0.18),
    ("India", 2, "USD", 0.20),
    ("New Zealand", 2, "USD", 0.08),
    ("Brazil", 3, "USD", 0.40),
    ("Mexico", 3, "USD", 0.28),
    ("Argentina", 3, "USD", 0.12),
    ("Colombia", 3, "USD", 0.12),
    ("Chile", 3, "USD", 0.08),
)
CURRENCIES = ("USD", "EUR", "GBP")
# Units of each currency per US dollar, for amounts quoted in local currency.
USD_RATE = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79}

INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Education",
    "Media",
    "Professional Services",
    "Logistics",
    "Real Estate",
)


@dataclass(frozen=True)
class Channel:
    """A marketing channel: lead share per CRM, how well its leads convert, what a lead costs."""

    name: str
    share_sf: float
    share_hs: float
    mql_rate: float  # share of its leads that become marketing-qualified
    opp_rate: float  # relative lead -> opportunity conversion
    cost_per_lead: float  # USD, drives the spend sheet


CHANNELS: tuple[Channel, ...] = (
    Channel("Organic Search", 0.16, 0.30, 0.30, 0.9, 35.0),
    Channel("Paid Search", 0.16, 0.22, 0.36, 1.0, 140.0),
    Channel("Paid Social", 0.08, 0.18, 0.22, 0.55, 95.0),
    Channel("Email", 0.07, 0.12, 0.28, 0.7, 18.0),
    Channel("Referral", 0.12, 0.07, 0.55, 2.2, 160.0),
    Channel("Events", 0.18, 0.04, 0.45, 1.4, 420.0),
    Channel("Partner", 0.13, 0.03, 0.50, 1.9, 260.0),
    Channel("Direct", 0.10, 0.04, 0.40, 1.2, 12.0),
)
CHANNEL_NAMES = tuple(c.name for c in CHANNELS)


@dataclass(frozen=True)
class Campaign:
    """A campaign of one channel; ``yearly`` campaigns carry the year in their name."""

    channel: int
    name: str
    weight: float
    yearly: bool = False


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign(0, "SEO - Blog", 0.6),
    Campaign(0, "SEO - Templates Gallery", 0.4),
    Campaign(1, "Google Ads - Brand", 0.35),
    Campaign(1, "Google Ads - CRM Reporting", 0.45),
    Campaign(1, "Bing Ads - Generic", 0.20),
    Campaign(2, "LinkedIn - ABM", 0.55),
    Campaign(2, "Meta - Retargeting", 0.45),
    Campaign(3, "Newsletter", 0.5),
    Campaign(3, "Nurture - Trial", 0.5),
    Campaign(4, "Customer Referral Program", 1.0),
    Campaign(5, "SaaStr Annual", 0.45, yearly=True),
    Campaign(5, "Dreamforce", 0.35, yearly=True),
    Campaign(5, "RevOps Roadshow", 0.20, yearly=True),
    Campaign(6, "Partner Co-Marketing", 0.6),
    Campaign(6, "Marketplace Listings", 0.4),
    Campaign(7, "Website Direct", 1.0),
)

# Stages of the open part of each CRM's pipeline with the win probability the CRM assigns.
SF_STAGES = (
    ("Prospecting", 0.10),
    ("Qualification", 0.20),
    ("Needs Analysis", 0.25),
    ("Value Proposition", 0.50),
    ("Proposal", 0.75),
    ("Negotiation", 0.90),
)
HS_STAGES = (
    ("Appointment Scheduled", 0.20),
    ("Qualified To Buy", 0.40),
    ("Presentation Scheduled", 0.60),
    ("Decision Maker Bought-In", 0.80),
    ("Contract Sent", 0.90),
)
# HubSpot's internal stage ids, kept as the ``stage_id`` custom field.
HS_STAGE_IDS = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
WON_STAGE, LOST_STAGE = "Closed Won", "Closed Lost"

DEAL_STATUSES = ("open", "won", "lost")
OPEN, WON, LOST = 0, 1, 2
DEAL_TYPES = ("new", "renewal", "expansion")
NEW, RENEWAL, EXPANSION = 0, 1, 2
# Pipelines per CRM, indexed by deal type.
PIPELINES = {
    SF: ("New Business", "Renewals", "Upsell"),
    HS: ("Sales Pipeline", "Renewals Pipeline", "Sales Pipeline"),
}

PRODUCTS = ("Starter", "Professional", "Enterprise", "Connectors Add-on", "Premium Support")
# Product mix of new deals per segment.
PRODUCT_MIX = {
    SMB: (0.55, 0.40, 0.0, 0.05, 0.0),
    MID: (0.05, 0.60, 0.25, 0.07, 0.03),
    ENT: (0.0, 0.15, 0.75, 0.05, 0.05),
}

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sofia", "Mark", "Emma",
    "Paul", "Olivia", "Steven", "Amelia", "Andrew", "Mia", "Kenneth", "Lucia", "Kevin", "Chloe",
    "Brian", "Hannah", "Hiroshi", "Yuki", "Priya", "Arjun", "Wei", "Mei", "Lukas", "Lea",
    "Mateo", "Valentina", "Omar", "Fatima", "Noah", "Ava", "Liam", "Isabella", "Ethan", "Zoe",
    "Pierre", "Camille", "Jonas", "Freya", "Diego", "Camila", "Raj", "Ananya", "Ola", "Ingrid",
    "Tom", "Grace", "Sam", "Ruth", "Felix", "Clara", "Hugo", "Alice", "Ivan", "Nina",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Muller", "Schmidt", "Schneider", "Fischer", "Dubois", "Laurent", "Rossi", "Bianchi",
    "Tanaka", "Suzuki", "Sato", "Kim", "Park", "Chen", "Wang", "Singh", "Patel", "Sharma",
    "Silva", "Santos", "Oliveira", "Costa", "Jansen", "de Vries", "Andersson", "Johansson",
    "O'Brien", "Murphy", "Kelly", "Novak", "Kowalski", "Cohen", "Levi", "Haddad", "Okafor",
)  # fmt: skip
COMPANY_WORDS_A = (
    "North", "Blue", "Silver", "Bright", "Iron", "Summit", "Cedar", "Harbor", "Atlas", "Nova",
    "Crest", "Pioneer", "Vertex", "Orbit", "Granite", "Maple", "Falcon", "Lumen", "Quantum",
    "Evergreen", "Red", "Swift", "Golden", "Prime", "Clear", "Stone", "River", "Sky", "Polar",
    "Coral", "Delta", "Echo", "Ember", "Apex", "Bold", "Urban", "Alpine", "Solar", "Terra",
    "Aurora",
)  # fmt: skip
COMPANY_WORDS_B = (
    "wind", "field", "bridge", "point", "gate", "stone", "light", "wave", "path", "works",
    "leaf", "peak", "line", "forge", "port", "rock", "view", "spring", "wood", "haven",
    "mark", "star", "crest", "dale", "ridge", "bay", "shore", "vale", "brook", "hill",
)  # fmt: skip
COMPANY_KINDS = (
    "Software", "Analytics", "Logistics", "Health", "Capital", "Foods", "Labs", "Systems",
    "Media", "Partners", "Industries", "Energy", "Retail", "Learning", "Realty", "Consulting",
    "Networks", "Robotics", "Bio", "Travel",
)  # fmt: skip
FREE_MAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com")

TICKET_PRIORITIES = ("Low", "Medium", "High", "Urgent")
TICKET_CHANNELS = ("Email", "Chat", "Phone", "Web Form")
