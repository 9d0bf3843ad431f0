"""Finding a user's collections, and the two reports that sync one: sync-collection, multiget.

Discovery (RFC 4791 6.2.1 and 7.1.1, RFC 6352 7.1.1, RFC 5397): the account's URL is the server,
the principal, a home set or one collection. PROPFIND Depth 0 there asks for the resource type,
DAV:current-user-principal and the home set; the principal gives the home set; PROPFIND Depth 1
on the home set lists the collections of the wanted type.

Sync (RFC 6578): `sync-collection` with the last token lists the members changed or removed
since (a 404 status per removed href), with an empty token every member; a server may cut the
list short with a 507 on the collection itself, and the token it returns then continues it.
Members' data come in `calendar-multiget` / `addressbook-multiget` reports (RFC 4791 7.9, RFC
6352 8.7), a page at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from touchbase.connectors.dav.http import (
    CALDAV,
    CARDDAV,
    DAV,
    DavClient,
    Resource,
    Unsupported,
    escape,
    origin_of,
    path_of,
    quoted,
    tag,
    xml_body,
)
from touchbase.connectors.errors import ConnectorError


@dataclass(frozen=True, slots=True)
class Kind:
    """What a CalDAV or a CardDAV collection looks like, and how its members are fetched."""

    name: str  # "calendar" / "address book", for messages
    home_set: str  # the principal's property naming the home collection(s)
    resource_type: str  # the resourcetype element a collection of this kind carries
    multiget: str  # the REPORT fetching members' data
    data: str  # the property carrying a member's data inside it
    data_request: str  # what to ask of that property (only the fields we read)


# Only the properties touchbase reads are asked for (RFC 4791 9.6, RFC 6352 10.4): an event's
# DESCRIPTION and attachments or a card's PHOTO and NOTE never leave the server when it honours
# the request (metadata only; a server that ignores it sends all, and nothing more is read).
_EVENT_PROPS = (
    "UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID",
    "SUMMARY", "STATUS", "ORGANIZER", "ATTENDEE", "SEQUENCE", "DTSTAMP",
)  # fmt: skip
_CARD_PROPS = ("VERSION", "UID", "FN", "N", "EMAIL", "BDAY", "ANNIVERSARY", "ORG", "TITLE")

CALENDAR = Kind(
    name="calendar",
    home_set="C:calendar-home-set",
    resource_type=tag(CALDAV, "calendar"),
    multiget="C:calendar-multiget",
    data=tag(CALDAV, "calendar-data"),
    data_request=(
        '<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/>'
        '<C:comp name="VTIMEZONE"><C:allprop/><C:allcomp/></C:comp>'
        '<C:comp name="VEVENT">'
        + "".join(f'<C:prop name="{p}"/>' for p in _EVENT_PROPS)
        + "</C:comp></C:comp></C:calendar-data>"
    ),
)
ADDRESS_BOOK = Kind(
    name="address book",
    home_set="CR:addressbook-home-set",
    resource_type=tag(CARDDAV, "addressbook"),
    multiget="CR:addressbook-multiget",
    data=tag(CARDDAV, "address-data"),
    data_request="<CR:address-data>"
    + "".join(f'<CR:prop name="{p}"/>' for p in _CARD_PROPS)
    + "</CR:address-data>",
)


def discover(client: DavClient, kind: Kind) -> list[str]:
    """The paths of the user's collections of `kind`, sorted."""
    start = path_of(client.absolute(""))
    props = ("D:resourcetype", "D:current-user-principal", kind.home_set)
    here = _one(client.propfind(start, props).resources, start)
    if kind.resource_type in here.types():
        return [start]  # the URL is one collection
    homes = here.hrefs(_clark(kind.home_set))
    if not homes:
        principals = here.hrefs(tag(DAV, "current-user-principal"))
        if principals:
            principal = path_of(principals[0])
            homes = _one(client.propfind(principal, (kind.home_set,)).resources, principal).hrefs(
                _clark(kind.home_set)
            )
    if not homes:
        homes = [start]  # no principal support: list what is under the URL itself
    found: set[str] = set()
    for home in homes:
        # A home set may live on another host (iCloud's pNN-caldav.icloud.com): such a
        # collection is named by its absolute URL, one on the account's host by its path.
        origin = origin_of(home)
        prefix = origin if origin and origin != origin_of(client.url) else ""
        listed = client.propfind(prefix + path_of(home), ("D:resourcetype",), depth="1")
        found.update(prefix + r.href for r in listed.resources if kind.resource_type in r.types())
    if not found:
        raise ConnectorError(
            f"no {kind.name} found at {client.url}",
            advice=f"give the URL of your principal or of one {kind.name} as the account's url",
        )
    return sorted(found)


def _clark(prefixed: str) -> str:
    prefix, name = prefixed.split(":")
    return tag({"D": DAV, "C": CALDAV, "CR": CARDDAV}[prefix], name)


def _one(resources: list[Resource], path: str) -> Resource:
    for resource in resources:
        if resource.href.rstrip("/") == path.rstrip("/"):
            return resource
    if len(resources) == 1:
        return resources[0]
    raise ConnectorError(f"PROPFIND {path}: the answer does not describe {path}")


@dataclass(frozen=True, slots=True)
class Changes:
    """What sync-collection reported: members changed (path -> etag), removed, the new token."""

    changed: dict[str, str]
    removed: list[str]
    token: str


def list_members(client: DavClient, collection: str) -> Changes:
    """Every member with its ETag by PROPFIND Depth 1, for a server without sync-collection.

    The token is "": the next sync lists every member again, and the ETags decide what to fetch.
    """
    here = path_of(collection).rstrip("/")
    listed = client.propfind(collection, ("D:getetag", "D:resourcetype"), depth="1")
    changed = {
        r.href: r.text(tag(DAV, "getetag")) or ""
        for r in listed.resources
        if r.status == 200 and r.href.rstrip("/") != here and not r.href.endswith("/")
    }
    return Changes(changed, [], "")


def sync_collection(client: DavClient, collection: str, token: str | None) -> Changes:
    """Every change since `token` (every member when None), following 507 truncations."""
    changed: dict[str, str] = {}
    removed: list[str] = []
    for _ in range(1000):  # a server that truncates forever must not loop forever
        body = xml_body(
            "D:sync-collection",
            f"<D:sync-token>{escape(token or '')}</D:sync-token><D:sync-level>1</D:sync-level>"
            "<D:prop><D:getetag/></D:prop>",
        )
        try:
            answer = client.report(
                collection, body, depth="0", what=f"sync-collection {collection}"
            )
        except Unsupported:
            if changed or removed:
                raise
            return list_members(client, collection)
        if not answer.sync_token:
            raise ConnectorError(f"sync-collection {collection}: the answer has no sync-token")
        truncated = False
        for resource in answer.resources:
            if resource.href.rstrip("/") == path_of(collection).rstrip("/"):
                truncated = resource.status == 507  # RFC 6578 3.6
            elif resource.status == 404:
                removed.append(resource.href)
                changed.pop(resource.href, None)
            elif resource.status == 200 and not resource.href.endswith("/"):
                changed[resource.href] = resource.text(tag(DAV, "getetag")) or ""
        token = answer.sync_token
        if not truncated:
            return Changes(changed, removed, token)
    raise ConnectorError(f"sync-collection {collection}: the server never finished its list")


def multiget(
    client: DavClient, collection: str, kind: Kind, paths: Sequence[str]
) -> dict[str, tuple[str, str] | None]:
    """path -> (etag, data) for each member, None for one gone since it was listed."""
    hrefs = "".join(f"<D:href>{escape(quoted(p))}</D:href>" for p in paths)
    body = xml_body(kind.multiget, f"<D:prop><D:getetag/>{kind.data_request}</D:prop>{hrefs}")
    answer = client.report(collection, body, depth="1", what=f"multiget {collection}")
    found: dict[str, tuple[str, str] | None] = dict.fromkeys(paths)
    for resource in answer.resources:
        data = resource.text(kind.data)
        if resource.status == 200 and data is not None and resource.href in found:
            found[resource.href] = (resource.text(tag(DAV, "getetag")) or "", data)
    return found
