package io.iotuplink.tools;

import io.iotuplink.outbox.Lane;

/** The lanes as the outbox file stores them: {@link Lane}'s order (priority 0, bulk 1). */
final class Lanes {

    private Lanes() {
    }

    static String label(int code) {
        return code >= 0 && code < Lane.values().length ? Lane.values()[code].label() : "lane-" + code;
    }

    static int code(Lane lane) {
        return lane.ordinal();
    }
}
