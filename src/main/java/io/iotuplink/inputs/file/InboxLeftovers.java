package io.iotuplink.inputs.file;

import io.iotuplink.config.FileMode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.file.FileConstants;
import org.apache.camel.spi.ExceptionHandler;
import org.apache.camel.support.LoggingExceptionHandler;
import org.apache.camel.support.processor.idempotent.FileIdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Inbox files that were read but could not be removed (a read-only inbox, an immutable file): remembered by name,
 * size and modification time in a Camel file idempotent repository under the data dir, so that they are never read
 * again, not even after a restart. The inbox route's file consumer tells it about a failed delete: it is the
 * consumer's {@code onCompletionExceptionHandler}.
 */
public final class InboxLeftovers extends ServiceSupport implements ExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(InboxLeftovers.class);
    /** More than an inbox can hold; the repository drops its oldest keys beyond its file size bound. */
    private static final int REMEMBERED = 10_000;

    private final Path inbox;
    private final Path storeFile;
    private final FileIdempotentRepository store;
    private final ExceptionHandler otherErrors;
    private final FileMode mode;

    public InboxLeftovers(CamelContext context, Path inbox, Path storeFile) {
        this(context, inbox, storeFile, FileMode.PRIVATE);
    }

    /** {@code mode}: {@code uplink.file-mode}, which the file of remembered names is made with and kept at. */
    public InboxLeftovers(CamelContext context, Path inbox, Path storeFile, FileMode mode) {
        this.inbox = inbox.toAbsolutePath().normalize();
        this.storeFile = storeFile;
        this.mode = mode;
        this.store = (FileIdempotentRepository) FileIdempotentRepository.fileIdempotentRepository(storeFile.toFile(),
                REMEMBERED);
        this.otherErrors = new LoggingExceptionHandler(context, InboxLeftovers.class);
    }

    /** The key of a file as it is now: its name (URL-encoded, so one line of ASCII), size and modification time. */
    static String key(Path file, BasicFileAttributes attributes) {
        return URLEncoder.encode(file.getFileName().toString(), StandardCharsets.UTF_8) + "-" + attributes.size()
                + "-" + attributes.lastModifiedTime().toMillis();
    }

    /** Whether this file, as it is now, was read before and left in the inbox. */
    public boolean contains(Path file, BasicFileAttributes attributes) {
        return store.contains(key(file, attributes));
    }

    /**
     * Remembers the file as read (its readings are in the outbox, or it was set aside) but still in the inbox, with
     * one WARN saying why; false when it was remembered already.
     */
    public boolean remember(Path file, String why) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException gone) {
            return false;
        }
        if (!store.add(key(file, attributes))) {
            return false;
        }
        // Camel rewrites the whole file when it trims it: made again, it would take the umask's mode
        mode.file(storeFile);
        LOG.warn("{}: {}; it stays in the inbox and is not read again (remembered by name, size and time in {});"
                + " remove it by hand", file, why, storeFile);
        return true;
    }

    /** How many remembered files are still in the inbox, unchanged: what {@code GET /status} shows. */
    public int stillInInbox() {
        int count = 0;
        for (String key : List.copyOf(store.getCache().keySet())) {
            int time = key.lastIndexOf('-');
            int size = time < 1 ? -1 : key.lastIndexOf('-', time - 1);
            if (size < 1) {
                continue;
            }
            Path file = inbox.resolve(URLDecoder.decode(key.substring(0, size), StandardCharsets.UTF_8));
            try {
                if (key.equals(key(file, Files.readAttributes(file, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS)))) {
                    count++;
                }
            } catch (IOException | IllegalArgumentException gone) {
                // removed (or replaced) since: no longer a leftover
            }
        }
        return count;
    }

    @Override
    public void handleException(Throwable exception) {
        otherErrors.handleException(exception);
    }

    @Override
    public void handleException(String message, Throwable exception) {
        otherErrors.handleException(message, exception);
    }

    /** Camel's file consumer could not complete a file: a failed delete after a commit makes it a leftover. */
    @Override
    public void handleException(String message, Exchange exchange, Throwable exception) {
        String path = exchange == null ? null
                : exchange.getIn().getHeader(FileConstants.FILE_ABSOLUTE_PATH, String.class);
        if (path != null && message != null && message.startsWith("Error during commit")
                && Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS)) {
            remember(Path.of(path).toAbsolutePath().normalize(),
                    "its readings are in the outbox but it cannot be removed (" + exception.getMessage() + ")");
            return;
        }
        otherErrors.handleException(message, exchange, exception);
    }

    @Override
    protected void doStart() throws Exception {
        // made before Camel's repository opens it, so that it never exists with the umask's mode
        mode.directory(storeFile.toAbsolutePath().getParent());
        mode.file(storeFile);
        store.start();
    }

    @Override
    protected void doStop() throws Exception {
        store.stop();
    }
}
