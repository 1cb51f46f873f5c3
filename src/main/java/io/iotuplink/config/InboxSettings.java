package io.iotuplink.config;

import java.time.Duration;

/**
 * How the file inbox reads: a file is read once it has not changed for {@code settleTime}, and a file larger than
 * {@code maxFileSize} bytes is set aside unread.
 */
public record InboxSettings(Duration settleTime, long maxFileSize) {
}
