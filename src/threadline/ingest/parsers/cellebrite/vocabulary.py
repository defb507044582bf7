"""The Cellebrite vocabulary this parser knows: model types, their fields, Device Info names.

Field names come from formats.md §1 (IPED's ``UfedXmlReader``/``UfedModelHandler``, UFEDLib's
``Models/*.cs``) and the IPED fixtures. A field listed here is either read into a canonical column
or deliberately left in the raw record (display flags, links, read receipts); any other field is
reported as an ingest issue with its count, so that an analyst knows what the canonical tables do
not show (the record itself is always kept whole in ``source_rows``, requirement 23).
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

__all__ = [
    "DEVICE_INFO",
    "KNOWN_FIELDS",
    "MESSAGE_TYPES",
    "OWNER_NAMES",
    "PHONE_APPS",
    "TELEPHONY_SOURCES",
    "device_key",
]

#: Fields every model may carry that say how it was decoded, not what it records.
_COMMON: Final = frozenset(
    {"UserMapping", "ServiceIdentifier", "Source", "jumptargets", "sourcemodels"}
)

_SMS: Final = _COMMON | {
    "Parties",
    "From",
    "To",
    "Body",
    "TimeStamp",
    "Folder",
    "Status",
    "Type",
    "SMSC",
    "Subject",
    "Priority",
    "Account",
    "DateRead",
    "DateDelivered",
    "Attachments",
}

#: Model types read into a canonical table, with the fields known for each.
KNOWN_FIELDS: Final = MappingProxyType(
    {
        "Call": _COMMON
        | {
            "Direction",
            "Type",
            "Status",
            "TimeStamp",
            "Duration",
            "Parties",
            "NetworkCode",
            "NetworkName",
            "CountryCode",
            "VideoCall",
            "Account",
            "Attachments",
            "IsDeleted",
        },
        "Chat": _COMMON
        | {
            "Id",
            "Name",
            "Description",
            "StartTime",
            "LastActivity",
            "Participants",
            "Photos",
            "Messages",
            "Account",
            "ChatType",
            "IsFavorite",
            "IsArchived",
            "ActivityLog",
            "Attachments",
        },
        "InstantMessage": _COMMON
        | {
            "From",
            "To",
            "Body",
            "Identifier",
            "TimeStamp",
            "Attachment",
            "Attachments",
            "Status",
            "SharedContacts",
            "Platform",
            "Type",
            "IsLocationSharing",
            "EmbeddedInstantMessage",
            "SourceApplication",
            "MessageExtraData",
            "ActivityLog",
            "Label",
            "Priority",
            "SelfDestructDuration",
            "Position",
            "Subject",
            "DateRead",
            "DateDelivered",
            "DatePlayed",
            "Folder",
            "Reactions",
            "ChatId",
        },
        "SMS": _SMS,
        "MMS": _SMS,
        "Contact": _COMMON
        | {
            "Name",
            "Entries",
            "Photos",
            "Notes",
            "Group",
            "Type",
            "Account",
            "InteractionStatuses",
            "TimeCreated",
            "TimeModified",
            "Organizations",
            "Addresses",
            "UserTags",
            "AdditionalInfo",
            "PhotoNode",
        },
        "UserAccount": _COMMON
        | {
            "Name",
            "Username",
            "Entries",
            "Photos",
            "Addresses",
            "Notes",
            "TimeCreated",
            "AdditionalInfo",
            "Organizations",
            "Password",
            "ServerAddress",
            "PhotoNode",
        },
        "Location": _COMMON
        | {
            "Position",
            "TimeStamp",
            "EndTime",
            "Name",
            "Description",
            "Type",
            "Category",
            "Confidence",
            "Precision",
            "Origin",
            "LocationOrigin",
            "GpsHorizontalAccuracy",
            "Address",
            "Account",
            "Map",
            "PositionAddress",
            "ServiceName",
            "AccountLocationAffiliation",
            "DeviceLocationAffiliation",
            "AggregatedLocationsCount",
        },
        "Party": frozenset(
            {
                "UserMapping",
                "Identifier",
                "Name",
                "Role",
                "IsPhoneOwner",
                "IsGroupAdmin",
                "DateDelivered",
                "DateRead",
                "DatePlayed",
                "Status",
                "Distance",
                "Account",
            }
        ),
    }
)

#: Message models and the canonical ``message_type`` each gives.
MESSAGE_TYPES: Final = MappingProxyType({"InstantMessage": "im", "SMS": "sms", "MMS": "mms"})

#: ``Source`` values naming the handset's own telephony (not an app with its own user ids), in
#: lower case: their party identifiers are telephone numbers.
TELEPHONY_SOURCES: Final = frozenset(
    {"", "phone", "native", "native messages", "native calls", "sms", "mms", "call log"}
)

#: Apps whose user ids are telephone numbers (matched within ``Source``, lower case).
PHONE_APPS: Final = ("whatsapp", "viber", "signal", "imessage", "facetime")

#: Device Info item names (as :func:`device_key` folds them) -> devices column.
DEVICE_INFO: Final = MappingProxyType(
    {
        "imei": "imei",
        "imei1": "imei",
        "imei2": "imei",
        "imsi": "imsi",
        "lastusedimsi": "imsi",
        "iccid": "iccid",
        "lastusediccid": "iccid",
        "msisdn": "msisdn",
        "lastusedmsisdn": "msisdn",
        "phonenumber": "msisdn",
        "model": "model",
        "devicemodel": "model",
        "detectedmodel": "model",
        "detectedphonemodel": "model",
        "modelnumber": "model",
        "vendor": "manufacturer",
        "manufacturer": "manufacturer",
        "detectedvendor": "manufacturer",
        "detectedphonevendor": "manufacturer",
        "os": "os",
        "osversion": "os",
        "operatingsystem": "os",
        "detectedphoneos": "os",
        "selectedmanufacturer": "manufacturer",
        "selectedmodel": "model",
        "detectedmanufacturer": "manufacturer",
    }
)

#: Device Info item names that give the owner's name.
OWNER_NAMES: Final = frozenset({"ownername", "owner", "deviceowner", "deviceownername"})

_FOLD: Final = re.compile(r"[^a-z0-9]")
#: Newer reports prefix their internal item names (``DeviceInfoDetectedPhoneModel``).
_PREFIX: Final = "deviceinfo"


def device_key(name: str) -> str:
    """A Device Info item name folded for lookup: lower case, letters and digits only, without
    the ``DeviceInfo`` prefix of newer reports."""
    folded = _FOLD.sub("", name.lower())
    return folded.removeprefix(_PREFIX) or folded
