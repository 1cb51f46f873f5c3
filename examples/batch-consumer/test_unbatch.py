"""Tests of unbatch.py against hand-made publishes that follow the format in docs/delivery.md.

Run: cd examples/batch-consumer && python3 -m unittest -v test_unbatch
(the build runs them too: BatchConsumerExampleTest; it also checks unbatch.py against the bundle's own batches).
"""

import base64
import gzip
import io
import json
import subprocess
import sys
import unittest
from decimal import Decimal
from pathlib import Path

import unbatch

PREFIX = "3f9c2a7b-1e04-8d5c-a6b1-"
LEGACY_ID = "0b0f5f36-3f55-4b5e-9a55-7d3e36b0f5aa"
UNICODE = "température ✓ 温度"

# a batch as the bundle writes it: no whitespace, keys in this order, data as accepted
BATCH = ('{"format":"iot-uplink-batch/2","timestamp":1764694012.345,"device_id":"gw-01",'
         '"message_id_prefix":"' + PREFIX + '",'
         '"message_id_seq":[4609,1,5,-3,0],'
         '"accepted_ms":[1764694009123,0,3,-126,12],'
         '"message_ids":{"4":"' + LEGACY_ID + '"},'
         '"data":[{"temperature":21.3},{"temperature":21.30},{"t":"' + UNICODE + '"},'
         '{"big":12345678901234567890123,"tiny":1e-300,"neg":-0.0},{"nested":{"data":[1,{"data":null}]}}]}')


def ids(readings):
    return [message_id for message_id, _ in readings]


class CompactBatch(unittest.TestCase):

    def test_each_reading_gets_its_id_from_the_prefix_and_the_running_sum_of_its_deltas(self):
        self.assertEqual([PREFIX + "000000001201", PREFIX + "000000001202", PREFIX + "000000001207",
                          PREFIX + "000000001204", LEGACY_ID], ids(unbatch.unpack(BATCH.encode())))

    def test_each_reading_gets_the_running_sum_of_accepted_ms_as_seconds_with_exactly_three_decimals(self):
        raw = [text.split(",")[0] for _, text in unbatch.unpack_raw(BATCH.encode())]
        self.assertEqual(['{"timestamp":1764694009.123', '{"timestamp":1764694009.123',
                          '{"timestamp":1764694009.126', '{"timestamp":1764694009.000',
                          '{"timestamp":1764694009.012'], raw)

    def test_a_millisecond_count_ending_in_zero_and_a_large_one_come_back_to_the_millisecond(self):
        for ms in (1764694009120, 1764694009100, 1764694009000, 253402300799990, 9007199254740993, 0, 7):
            batch = ('{"format":"iot-uplink-batch/2","timestamp":1.0,"device_id":"d","message_id_prefix":"'
                     + PREFIX + '","message_id_seq":[1],"accepted_ms":[' + str(ms) + '],"data":[{}]}')
            (_, envelope), = unbatch.unpack(batch.encode())
            self.assertEqual(Decimal(ms), envelope["timestamp"] * 1000, ms)
            self.assertEqual(3, -envelope["timestamp"].as_tuple().exponent, envelope["timestamp"])

    def test_data_is_copied_byte_for_byte_unicode_and_big_numbers_untouched(self):
        texts = [text for _, text in unbatch.unpack_raw(BATCH.encode())]
        self.assertTrue(texts[1].endswith(',"data":{"temperature":21.30}}'), texts[1])
        self.assertTrue(texts[2].endswith(',"data":{"t":"' + UNICODE + '"}}'), texts[2])
        self.assertTrue(texts[3].endswith(',"data":{"big":12345678901234567890123,"tiny":1e-300,"neg":-0.0}}'))
        self.assertEqual('{"timestamp":1764694009.012,"device_id":"gw-01","data":{"nested":{"data":[1,{"data":null}]}}}',
                         texts[4])

    def test_parsed_envelopes_keep_numbers_exact(self):
        envelopes = [envelope for _, envelope in unbatch.unpack(BATCH.encode())]
        self.assertEqual(["timestamp", "device_id", "data"], list(envelopes[0]))
        self.assertEqual("gw-01", envelopes[0]["device_id"])
        self.assertEqual(UNICODE, envelopes[2]["data"]["t"])
        self.assertEqual(12345678901234567890123, envelopes[3]["data"]["big"])
        self.assertEqual(Decimal("1e-300"), envelopes[3]["data"]["tiny"])

    def test_gzip_is_told_by_the_user_property_or_by_its_first_bytes(self):
        packed = gzip.compress(BATCH.encode())
        plain = unbatch.unpack_raw(BATCH.encode())
        self.assertEqual(plain, unbatch.unpack_raw(packed, {"content_encoding": "gzip"}))
        self.assertEqual(plain, unbatch.unpack_raw(packed))

    def test_the_batch_size_user_property_is_checked(self):
        self.assertEqual(5, len(unbatch.unpack(BATCH.encode(), {"batch_size": "5", "message_id": "publish-id"})))
        with self.assertRaisesRegex(ValueError, "batch_size says 6 readings, the payload holds 5"):
            unbatch.unpack(BATCH.encode(), {"batch_size": "6"})

    def test_a_batch_without_explicit_ids_needs_no_message_ids(self):
        batch = ('{"format":"iot-uplink-batch/2","timestamp":1.0,"device_id":"d","message_id_prefix":"' + PREFIX
                 + '","message_id_seq":[281474976710655],"accepted_ms":[5],"data":[{"a":1}]}')
        self.assertEqual([PREFIX + "ffffffffffff"], ids(unbatch.unpack(batch.encode())))

    def test_whitespace_and_key_order_do_not_matter(self):
        pretty = json.dumps(json.loads(BATCH), indent=2, ensure_ascii=False)
        reordered = json.dumps(dict(reversed(list(json.loads(BATCH).items()))), ensure_ascii=False)
        expected = unbatch.unpack(BATCH.encode())
        self.assertEqual(ids(expected), ids(unbatch.unpack(pretty.encode())))
        self.assertEqual(ids(expected), ids(unbatch.unpack(reordered.encode())))
        self.assertEqual([e for _, e in expected], [e for _, e in unbatch.unpack(pretty.encode())])


class OtherShapes(unittest.TestCase):

    def test_the_previous_versions_batch(self):
        batch = ('{"timestamp":1764694012.345,"device_id":"gw-01","batch":['
                 '{"timestamp":1764694009.120,"message_id":"' + LEGACY_ID + '","data":{"big":12345678901234567890123}},'
                 '{"timestamp":1764694009.121,"message_id":"id-2","data":{"t":"' + UNICODE + '"}}]}')
        readings = unbatch.unpack_raw(batch.encode(), {"batch_size": "2"})
        self.assertEqual([(LEGACY_ID, '{"timestamp":1764694009.120,"device_id":"gw-01","data":'
                                      '{"big":12345678901234567890123}}'),
                          ("id-2", '{"timestamp":1764694009.121,"device_id":"gw-01","data":{"t":"' + UNICODE + '"}}')],
                         readings)

    def test_a_single_envelope_takes_its_id_from_the_user_property(self):
        envelope = '{"timestamp":1764694009.120,"device_id":"gw-01","data":{"temperature":21.3}}'
        self.assertEqual([("id-1", envelope)], unbatch.unpack_raw(envelope.encode(), {"message_id": "id-1"}))
        event = '{"timestamp":1764694009.120,"device_id":"gw-01","event":"keepalive","metadata":{"uptime":3}}'
        self.assertEqual([("id-2", event)], unbatch.unpack_raw(gzip.compress(event.encode()), {"message_id": "id-2"}))

    def test_a_single_envelope_without_its_message_id_is_refused(self):
        with self.assertRaisesRegex(ValueError, "user property \"message_id\""):
            unbatch.unpack(b'{"timestamp":1.0,"device_id":"d","data":{}}')


class Refused(unittest.TestCase):

    def assertRefused(self, payload, message, properties=None):
        with self.assertRaisesRegex(ValueError, message):
            unbatch.unpack(payload if isinstance(payload, bytes) else payload.encode(), properties)

    def test_not_json(self):
        self.assertRefused("{\"format\":", "not JSON")
        self.assertRefused(BATCH + "x", "not JSON")
        self.assertRefused(b"\xff\xfe{}", "not UTF-8")

    def test_not_an_object(self):
        self.assertRefused("[1, 2]", "JSON list, not an object")

    def test_an_unknown_format(self):
        self.assertRefused(BATCH.replace("iot-uplink-batch/2", "iot-uplink-batch/3"),
                           "unknown batch format 'iot-uplink-batch/3'")

    def test_arrays_of_different_lengths(self):
        self.assertRefused(BATCH.replace("[4609,1,5,-3,0]", "[4609,1,5,-3]"),
                           "arrays differ in length: message_id_seq 4, accepted_ms 5, data 5")
        self.assertRefused(BATCH.replace(',{"nested":{"data":[1,{"data":null}]}}]', "]"),
                           "arrays differ in length: message_id_seq 5, accepted_ms 5, data 4")

    def test_a_missing_or_broken_member(self):
        self.assertRefused(BATCH.replace('"accepted_ms"', '"accepted"'), "no \"accepted_ms\" array")
        self.assertRefused(BATCH.replace("[4609,", "[4609.5,"), r"message_id_seq\[0\] is 4609.5, not an integer")
        self.assertRefused(BATCH.replace('"4":"', '"5":"'), "key '5', which is not the index")
        self.assertRefused(BATCH.replace('"message_id_prefix":"' + PREFIX + '",', ""), "no message_id_prefix")
        self.assertRefused(BATCH.replace('"device_id":"gw-01"', '"device_id":7'), "no string \"device_id\"")
        self.assertRefused(BATCH.replace('{"temperature":21.3}', "21.3"), r"data\[0\] is not a JSON object")
        self.assertRefused(BATCH.replace("[4609,", "[-4609,"), "outside 0..")

    def test_an_empty_batch(self):
        self.assertRefused('{"format":"iot-uplink-batch/2","timestamp":1.0,"device_id":"d","message_id_prefix":"'
                           + PREFIX + '","message_id_seq":[],"accepted_ms":[],"data":[]}', "no readings")

    def test_broken_gzip_and_unknown_encodings(self):
        self.assertRefused(gzip.compress(BATCH.encode())[:-9], "not valid gzip")
        self.assertRefused(BATCH, "not valid gzip", {"content_encoding": "gzip"})
        self.assertRefused(BATCH, "unknown content_encoding 'br'", {"content_encoding": "br"})

    def test_neither_batch_nor_envelope(self):
        self.assertRefused('{"hello":"world"}', "neither a batch")


class Lambda(unittest.TestCase):
    """The event the IoT rule's SQL in README.md hands the Lambda action."""

    def event(self, payload, **properties):
        event = {"payload": base64.b64encode(payload).decode("ascii")}
        event.update({name: [value] for name, value in properties.items()})
        return event

    def run_handler(self, event):
        out = io.StringIO()
        saved, sys.stdout = sys.stdout, out
        try:
            result = unbatch.lambda_handler(event, None)
        finally:
            sys.stdout = saved
        return result, [json.loads(line) for line in out.getvalue().splitlines()]

    def test_a_gzip_batch_with_its_user_properties_as_the_rule_passes_them(self):
        result, printed = self.run_handler(self.event(gzip.compress(BATCH.encode()), message_id="publish-id",
                                                      content_encoding="gzip", batch_size="5"))
        expected = ids(unbatch.unpack(BATCH.encode()))
        self.assertEqual({"readings": 5, "message_ids": expected}, result)
        self.assertEqual(expected, [line["message_id"] for line in printed])
        self.assertEqual(UNICODE, printed[2]["envelope"]["data"]["t"])

    def test_a_single_envelope_takes_the_message_id_the_rule_passes(self):
        result, _ = self.run_handler(self.event(b'{"timestamp":1.5,"device_id":"d","data":{}}', message_id="id-1"))
        self.assertEqual(["id-1"], result["message_ids"])

    def test_an_event_without_the_base64_payload_names_the_rule_sql(self):
        with self.assertRaisesRegex(ValueError, r"encode\(\*, 'base64'\) AS payload"):
            unbatch.lambda_handler(json.loads(BATCH), None)


class CommandLine(unittest.TestCase):

    def test_prints_one_json_line_per_reading_and_fails_whole_on_a_bad_payload(self):
        script = str(Path(__file__).with_name("unbatch.py"))
        done = subprocess.run([sys.executable, script, "--gzip"], input=gzip.compress(BATCH.encode()),
                              capture_output=True, check=True)
        lines = done.stdout.decode("utf-8").splitlines()
        self.assertEqual(ids(unbatch.unpack(BATCH.encode())), [json.loads(line)["message_id"] for line in lines])
        self.assertTrue(lines[2].endswith('"data":{"t":"' + UNICODE + '"}}}'), lines[2])

        bad = subprocess.run([sys.executable, script], input=BATCH.replace("[4609,1,5,-3,0]", "[1]").encode(),
                             capture_output=True)
        self.assertEqual((1, b""), (bad.returncode, bad.stdout))
        self.assertIn("arrays differ in length", bad.stderr.decode())


if __name__ == "__main__":
    unittest.main()
