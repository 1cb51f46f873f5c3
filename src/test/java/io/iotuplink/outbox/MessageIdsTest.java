package io.iotuplink.outbox;

import io.iotuplink.config.FileMode;
import io.iotuplink.outbox.OutboxTarget.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbox's message ids: UUIDs of one family per outbox and broker, never handed out twice. */
class MessageIdsTest {

    private static final Target A = new Target("abc-ats.iot.eu-west-1.amazonaws.com:8883", "bombercat-001");
    private static final Target B = new Target("abc-ats.iot.eu-west-1.amazonaws.com:8883", "bombercat-002");

    @TempDir
    Path dir;

    private OutboxStore open(Path file, Target target) {
        return OutboxTarget.open(file, target,
                f -> OutboxStore.open(f, FileMode.PRIVATE, 100_000, 1L << 30, WhenFull.REJECT));
    }

    @Test
    void idsAreVersion8UuidsOfOnePrefixCountingUp() {
        try (OutboxStore store = open(dir.resolve("outbox.db"), A)) {
            MessageIds ids = store.messageIds();
            String first = ids.next();
            String second = ids.next();

            UUID uuid = UUID.fromString(first);
            assertEquals(8, uuid.version());
            assertEquals(2, uuid.variant());
            assertEquals(ids.prefix(), first.substring(0, MessageIds.PREFIX_LENGTH));
            assertEquals(ids.prefix() + "000000000001", first);
            assertEquals(ids.prefix() + "000000000002", second);
            assertEquals(2, MessageIds.countOf(ids.prefix(), second));
        }
    }

    @Test
    void aRestartGoesOnAfterEveryIdThatMayHaveBeenHandedOut() {
        Path file = dir.resolve("outbox.db");
        Set<String> seen = new HashSet<>();
        String prefix;
        try (OutboxStore store = open(file, A)) {
            prefix = store.messageIds().prefix();
            for (int i = 0; i < 10; i++) {
                seen.add(store.messageIds().next());
            }
        }
        // no reading was stored with them: the ids are reserved on disk all the same
        try (OutboxStore store = open(file, A)) {
            String next = store.messageIds().next();
            assertEquals(prefix, store.messageIds().prefix(), "the same outbox, the same broker: the same family");
            assertEquals(MessageIds.BLOCK + 1, MessageIds.countOf(prefix, next), "after the reserved block");
            for (int i = 1; i < MessageIds.BLOCK * 2; i++) { // two blocks in all, to their last id
                assertTrue(seen.add(store.messageIds().next()));
            }
        }
        try (OutboxStore store = open(file, A)) {
            assertEquals(MessageIds.BLOCK * 3 + 1, MessageIds.countOf(prefix, store.messageIds().next()));
        }
    }

    @Test
    void aNewOutboxOrAnotherBrokerDrawsANewPrefix() {
        String first;
        try (OutboxStore store = open(dir.resolve("outbox.db"), A)) {
            first = store.messageIds().prefix();
        }
        try (OutboxStore store = open(dir.resolve("other.db"), A)) {
            assertNotEquals(first, store.messageIds().prefix(), "a re-install: a new outbox");
        }
        try (OutboxStore store = open(dir.resolve("outbox.db"), B)) {
            String rebound = store.messageIds().prefix();
            assertNotEquals(first, rebound, "an empty outbox bound to another client id (a cloned gateway image)");
            assertEquals(rebound + "000000000001", store.messageIds().next());
        }
    }

    @Test
    void onlyIdsOfTheFamilysShapeHaveACount() {
        String prefix = MessageIds.newPrefix();
        assertEquals(-1, MessageIds.countOf(prefix, "id-1"));
        assertEquals(-1, MessageIds.countOf(prefix, UUID.randomUUID().toString()));
        assertEquals(-1, MessageIds.countOf(prefix, prefix + "00000000000G"));
        assertEquals(0xabcL, MessageIds.countOf(prefix, prefix + "000000000abc"));
        assertEquals(null, MessageIds.prefixOf("not-a-uuid"));
    }
}
