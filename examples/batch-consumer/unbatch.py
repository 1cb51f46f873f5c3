#!/usr/bin/env python3
"""Unpacks iot-uplink's batch publishes into the seed's per-reading telemetry envelopes.

One publish on {prefix}/telemetry is one of:
  - a batch, format "iot-uplink-batch/2" (UPLINK_BATCH_MAX_READINGS > 1), plain or gzip;
  - a batch of the previous version: {"timestamp", "device_id", "batch": [{"timestamp", "message_id", "data"}]};
  - one reading: the seed's envelope itself, its message_id in the MQTT 5 user property "message_id".
Each reading comes out as (message_id, {"timestamp", "device_id", "data"}), exactly the envelope and id the bundle
would have published for it alone (docs/delivery.md describes the format).

Numbers are never rounded: unpack_raw() gives each envelope as JSON text with the reading's data copied byte for
byte from the publish; unpack() parses that text with ints as Python ints and every other number as
decimal.Decimal (what boto3's DynamoDB wants too). Anything that is not one of the three shapes above is a
ValueError naming the problem; nothing is ever returned for half a publish.

Standard library only: runs as an AWS Lambda (lambda_handler, behind the IoT rule in README.md) and locally:
    python3 unbatch.py [--gzip] [--property message_id=...] [FILE]    (stdin without FILE)
prints one line per reading: {"message_id": "...", "envelope": {...}}.
"""

import argparse
import base64
import binascii
import gzip
import json
import sys
import zlib
from decimal import Decimal

FORMAT = "iot-uplink-batch/2"
_GZIP_MAGIC = b"\x1f\x8b"
_SCANNER = json.JSONDecoder()
_WHITESPACE = json.decoder.WHITESPACE
# the count of a derived id: 12 lower-case hex digits
_MAX_COUNT = 16 ** 12 - 1


def unpack(payload, user_properties=None):
    """The publish's readings, in order: [(message_id, {"timestamp", "device_id", "data"}), ...]."""
    return [(message_id, json.loads(text, parse_float=Decimal))
            for message_id, text in unpack_raw(payload, user_properties)]


def unpack_raw(payload, user_properties=None):
    """Likewise, each envelope as JSON text: [(message_id, '{"timestamp":...,"device_id":...,"data":...}'), ...].

    payload: the publish's bytes; user_properties: its MQTT 5 user properties (message_id, content_encoding,
    batch_size), as a dict of strings.
    """
    properties = user_properties or {}
    text = _json_text(payload, properties)
    try:
        document = json.loads(text)
    except ValueError as e:
        raise ValueError(f"the payload is not JSON: {e}") from None
    if not isinstance(document, dict):
        raise ValueError(f"the payload is a JSON {type(document).__name__}, not an object: not a publish of"
                         " iot-uplink")
    start = _skip(text, 0)
    members = _members(text, start)
    if "format" in document:
        if document["format"] != FORMAT:
            raise ValueError(f"unknown batch format {document['format']!r}: this consumer reads {FORMAT!r}, the"
                             " previous version's \"batch\" array and single envelopes")
        readings = _compact(text, document, members)
    elif "batch" in document:
        readings = _previous(text, document, members)
    else:
        readings = [_single(text, document, properties)]
    _check_batch_size(properties, readings)
    return readings


def _json_text(payload, properties):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    encoding = properties.get("content_encoding")
    if encoding not in (None, "", "gzip"):
        raise ValueError(f"unknown content_encoding {encoding!r}: only gzip is known")
    if encoding == "gzip" or payload[:2] == _GZIP_MAGIC:
        try:
            payload = gzip.decompress(payload)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"the payload is not valid gzip ({e})") from None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"the payload is not UTF-8 JSON ({e})") from None


def _compact(text, document, members):
    device = _device_id(text, document, members)
    seqs = _integers(document, "message_id_seq")
    millis = _integers(document, "accepted_ms")
    if "data" not in document or not isinstance(document["data"], list):
        raise ValueError("the batch has no \"data\" array")
    data = _elements(text, members["data"][0])
    if not data:
        raise ValueError("the batch holds no readings")
    if not len(seqs) == len(millis) == len(data):
        raise ValueError(f"the batch's arrays differ in length: message_id_seq {len(seqs)}, accepted_ms"
                         f" {len(millis)}, data {len(data)}")
    explicit = document.get("message_ids", {})
    if not isinstance(explicit, dict):
        raise ValueError("the batch's \"message_ids\" is not an object")
    for key, value in explicit.items():
        if not (key.isdigit() and key == str(int(key)) and int(key) < len(data)):
            raise ValueError(f"message_ids has the key {key!r}, which is not the index of one of the batch's"
                             f" {len(data)} readings")
        if not isinstance(value, str) or not value:
            raise ValueError(f"message_ids[{key!r}] is not a message id string")
    prefix = document.get("message_id_prefix")
    readings = []
    seq = 0
    ms = 0
    for i, (start, end) in enumerate(data):
        seq += seqs[i]
        ms += millis[i]
        if not isinstance(document["data"][i], dict):
            raise ValueError(f"data[{i}] is not a JSON object")
        message_id = explicit.get(str(i))
        if message_id is None:
            if not isinstance(prefix, str) or not prefix:
                raise ValueError(f"reading {i} has no entry in message_ids and the batch has no message_id_prefix")
            if not 0 <= seq <= _MAX_COUNT:
                raise ValueError(f"reading {i}'s message_id_seq sums to {seq}, outside 0..{_MAX_COUNT}")
            message_id = f"{prefix}{seq:012x}"
        readings.append((message_id, _envelope(_seconds(ms), device, text[start:end])))
    return readings


def _previous(text, document, members):
    device = _device_id(text, document, members)
    if not isinstance(document["batch"], list):
        raise ValueError("the batch's \"batch\" is not an array")
    if not document["batch"]:
        raise ValueError("the batch holds no readings")
    readings = []
    for i, (start, _) in enumerate(_elements(text, members["batch"][0])):
        entry = document["batch"][i]
        if not isinstance(entry, dict):
            raise ValueError(f"batch[{i}] is not a JSON object")
        message_id = entry.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise ValueError(f"batch[{i}] has no message_id")
        if not _is_number(entry.get("timestamp")):
            raise ValueError(f"batch[{i}] has no numeric timestamp")
        if not isinstance(entry.get("data"), dict):
            raise ValueError(f"batch[{i}] has no data object")
        spans = _members(text, start)
        readings.append((message_id, _envelope(_span(text, spans["timestamp"]), device, _span(text, spans["data"]))))
    return readings


def _single(text, document, properties):
    if not _is_number(document.get("timestamp")) or not isinstance(document.get("device_id"), str):
        raise ValueError("the payload is neither a batch (no \"format\" or \"batch\") nor an envelope (no numeric"
                         " \"timestamp\" and string \"device_id\")")
    if not isinstance(document.get("data"), dict) and not isinstance(document.get("event"), str):
        raise ValueError("the envelope has neither a \"data\" object nor an \"event\"")
    message_id = properties.get("message_id")
    if not message_id:
        raise ValueError("a single envelope's message_id is its MQTT 5 user property \"message_id\", and none was"
                         " given")
    return message_id, text.strip(" \t\r\n")


def _check_batch_size(properties, readings):
    size = properties.get("batch_size")
    if size is not None and str(size) != str(len(readings)):
        raise ValueError(f"the user property batch_size says {size} readings, the payload holds {len(readings)}")


def _device_id(text, document, members):
    if not isinstance(document.get("device_id"), str):
        raise ValueError("the batch has no string \"device_id\"")
    return _span(text, members["device_id"])


def _integers(document, key):
    values = document.get(key)
    if not isinstance(values, list):
        raise ValueError(f"the batch has no \"{key}\" array")
    for i, value in enumerate(values):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{key}[{i}] is {json.dumps(value)}, not an integer")
    return values


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _seconds(ms):
    """Epoch milliseconds as the seed writes them: seconds with exactly three decimals."""
    return str(Decimal(ms).scaleb(-3))


def _envelope(timestamp, device_id, data):
    return '{"timestamp":' + timestamp + ',"device_id":' + device_id + ',"data":' + data + '}'


# Where values lie in the (already validated) JSON text, so that data is copied as it was published.

def _skip(text, at):
    return _WHITESPACE.match(text, at).end()


def _span(text, span):
    return text[span[0]:span[1]]


def _members(text, at):
    """{name: (start, end)} of the object at text[at] (a later duplicate wins, as in json.loads)."""
    spans = {}
    at = _skip(text, at + 1)
    if text[at] == "}":
        return spans
    while True:
        name, at = _SCANNER.raw_decode(text, at)
        at = _skip(text, _skip(text, at) + 1)
        _, end = _SCANNER.raw_decode(text, at)
        spans[name] = (at, end)
        at = _skip(text, end)
        if text[at] == "}":
            return spans
        at = _skip(text, at + 1)


def _elements(text, at):
    """[(start, end), ...] of the array at text[at]."""
    spans = []
    at = _skip(text, at + 1)
    if text[at] == "]":
        return spans
    while True:
        _, end = _SCANNER.raw_decode(text, at)
        spans.append((at, end))
        at = _skip(text, end)
        if text[at] == "]":
            return spans
        at = _skip(text, at + 1)


def output_line(message_id, envelope_text):
    """One reading as the CLI prints it: {"message_id": ..., "envelope": {...}}."""
    return '{"message_id":' + json.dumps(message_id, ensure_ascii=False) + ',"envelope":' + envelope_text + '}'


# ---- AWS Lambda, behind an IoT rule (README.md) ----

# The user properties the rule's SQL passes, each as get_user_properties('name') AS name.
RULE_USER_PROPERTIES = ("message_id", "content_encoding", "batch_size")


def lambda_handler(event, context):
    """The Lambda action of the rule
    SELECT encode(*, 'base64') AS payload, get_user_properties('message_id') AS message_id,
           get_user_properties('content_encoding') AS content_encoding,
           get_user_properties('batch_size') AS batch_size FROM '<prefix>/telemetry'
    (SQL version 2016-03-23). A payload that is not a publish of the bundle raises, so that it shows in the
    function's errors (and its on-failure destination) instead of being dropped."""
    readings = unpack_raw(_payload_of(event), _user_properties_of(event))
    for message_id, text in readings:
        handle_reading(message_id, json.loads(text, parse_float=Decimal), text)
    return {"readings": len(readings), "message_ids": [message_id for message_id, _ in readings]}


def handle_reading(message_id, envelope, envelope_text):
    """Your code: one reading, with the envelope the bundle would have published for it alone.

    A publish may arrive twice (QoS 1), so store by message_id and let a second write of the same id do nothing,
    e.g. DynamoDB (boto3 takes the Decimals as they are):
        table.put_item(Item={"message_id": message_id, **envelope},
                       ConditionExpression="attribute_not_exists(message_id)")
    and treat ConditionalCheckFailedException as "already stored".
    """
    print(output_line(message_id, envelope_text))


def _payload_of(event):
    encoded = event.get("payload") if isinstance(event, dict) else None
    if not isinstance(encoded, str):
        raise ValueError("the event has no base64 \"payload\": the rule must SELECT encode(*, 'base64') AS payload"
                         " (a gzip batch is not JSON, and a Lambda action takes JSON only)")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as e:
        raise ValueError(f"the event's payload is not base64 ({e})") from None


def _user_properties_of(event):
    properties = {}
    for name in RULE_USER_PROPERTIES:
        value = event.get(name)
        # get_user_properties() answers every value the key has, as an array; absent, the rule leaves the key out
        if isinstance(value, list):
            if len(set(value)) > 1:
                raise ValueError(f"the user property {name} has several values: {value}")
            value = value[0] if value else None
        if value is not None:
            properties[name] = str(value)
    return properties


# ---- command line ----

def main(argv=None):
    parser = argparse.ArgumentParser(description="Prints each reading of one iot-uplink publish as a JSON line:"
                                     " {\"message_id\": ..., \"envelope\": {...}}.")
    parser.add_argument("file", nargs="?", help="the publish's payload (default: stdin)")
    parser.add_argument("--gzip", action="store_true", help="the payload is gzip (content_encoding=gzip); gzip is"
                        " also recognised by its first bytes")
    parser.add_argument("--property", action="append", default=[], metavar="NAME=VALUE",
                        help="an MQTT 5 user property of the publish, e.g. message_id=... for a single envelope")
    args = parser.parse_args(argv)
    properties = {}
    for item in args.property:
        name, equals, value = item.partition("=")
        if not equals:
            parser.error(f"--property {item!r}: expected NAME=VALUE")
        properties[name] = value
    if args.gzip:
        properties["content_encoding"] = "gzip"
    if args.file:
        with open(args.file, "rb") as f:
            payload = f.read()
    else:
        payload = sys.stdin.buffer.read()
    try:
        readings = unpack_raw(payload, properties)
    except ValueError as e:
        print(f"unbatch.py: {e}", file=sys.stderr)
        return 1
    out = "".join(output_line(message_id, text) + "\n" for message_id, text in readings)
    sys.stdout.buffer.write(out.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
