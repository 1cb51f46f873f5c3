package io.iotuplink.outbox;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * The {@code message_id}s of the readings an outbox accepts: UUIDs (version 8, RFC 9562) whose first 24 characters
 * (74 random bits) are the outbox's own, made when it was bound to its broker, and whose last 12 hex digits count the
 * readings it accepted. So an id is unique across restarts (the count goes on from what was reserved on disk),
 * re-installs and devices (a new outbox, or a new broker, draws a new prefix), stable across retries (it is stored
 * with the reading), and a batch carries the prefix once and each reading's count as a small delta.
 */
public final class MessageIds {

    /** The characters of an id its outbox shares with all its others: {@code xxxxxxxx-xxxx-8xxx-yxxx-}. */
    public static final int PREFIX_LENGTH = 24;
    /** Counters reserved on disk at once: one small write per this many readings. */
    static final long BLOCK = 4096;
    /** The largest count: 12 hex digits. */
    static final long MAX_COUNT = 0xffff_ffff_ffffL;
    private static final Pattern UUID_SHAPE = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where the counters handed out are reserved, durably, before any is used. */
    @FunctionalInterface
    interface Reservation {
        /** Records that every count up to {@code upTo} may be in use; returns once that is on disk. */
        void reserveUpTo(long upTo);
    }

    private final String prefix;
    private final Reservation reservation;
    private long next;
    private long reservedTo;

    /**
     * @param reservedTo the highest count a run before may have handed out (0: none); this one goes on after it
     */
    MessageIds(String prefix, long reservedTo, Reservation reservation) {
        this.prefix = prefix;
        this.reservation = reservation;
        this.next = reservedTo + 1;
        this.reservedTo = reservedTo;
    }

    /** The next reading's id; reserves the next block of counts on disk first when the last one is used up. */
    public synchronized String next() {
        if (next > reservedTo) {
            if (next > MAX_COUNT) {
                throw new IllegalStateException("this outbox has handed out all of its 2^48 message ids; move it"
                        + " aside once it is empty, and a new one starts with a new prefix");
            }
            long upTo = Math.min(MAX_COUNT, next + BLOCK - 1);
            reservation.reserveUpTo(upTo);
            reservedTo = upTo;
        }
        return id(prefix, next++);
    }

    /** This outbox's prefix, the first {@link #PREFIX_LENGTH} characters of each of its ids. */
    public String prefix() {
        return prefix;
    }

    /** The id with {@code prefix} and {@code count}: the prefix, then the count in 12 lower-case hex digits. */
    public static String id(String prefix, long count) {
        String hex = Long.toHexString(count);
        return prefix + "000000000000".substring(hex.length()) + hex;
    }

    /** The prefix of {@code id} when it has the shape of this family's ids (any lower-case UUID), else null. */
    public static String prefixOf(String id) {
        return id != null && id.length() == 36 && UUID_SHAPE.matcher(id).matches() ? id.substring(0, PREFIX_LENGTH)
                : null;
    }

    /** The count of {@code id} when it starts with {@code prefix} and has this family's shape, else -1. */
    public static long countOf(String prefix, String id) {
        if (prefix == null || !id.startsWith(prefix) || !prefix.equals(prefixOf(id))) {
            return -1;
        }
        return Long.parseLong(id, PREFIX_LENGTH, id.length(), 16);
    }

    /** A new random prefix: 74 random bits, the version (8) and the variant (10) of RFC 9562. */
    static String newPrefix() {
        byte[] bits = new byte[10];
        RANDOM.nextBytes(bits);
        bits[6] = (byte) (0x80 | (bits[6] & 0x0f));
        bits[8] = (byte) (0x80 | (bits[8] & 0x3f));
        StringBuilder hex = new StringBuilder(PREFIX_LENGTH);
        for (int i = 0; i < bits.length; i++) {
            if (i == 4 || i == 6 || i == 8) {
                hex.append('-');
            }
            hex.append(Character.forDigit((bits[i] >> 4) & 0xf, 16)).append(Character.forDigit(bits[i] & 0xf, 16));
        }
        return hex.append('-').toString();
    }
}
