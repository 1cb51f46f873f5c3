package io.iotuplink.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may read what the bundle keeps in its data directory ({@code uplink.file-mode}, octal, default {@code 600}):
 * the outbox, its journal and the dead letters get this mode, the directories the same plus {@code x} wherever
 * {@code r} is set ({@code 700}). A directory or file that is already there is tightened when the bundle owns it.
 * On a file system without POSIX permissions nothing is changed.
 */
public final class FileMode {

    private static final Logger LOG = LoggerFactory.getLogger(FileMode.class);
    private static final Pattern OCTAL = Pattern.compile("0?[0-7]{3}");

    /** Readable and writable by the bundle's user only. */
    public static final FileMode PRIVATE = parse("600");

    private final int mode;

    private FileMode(int mode) {
        this.mode = mode;
    }

    /** {@code 600}, {@code 0640}...; execute bits are refused: nothing in the data directory is a program. */
    public static FileMode parse(String octal) {
        if (!OCTAL.matcher(octal).matches()) {
            throw new IllegalArgumentException("not an octal file mode; write three digits like 600 or 640");
        }
        int mode = Integer.parseInt(octal, 8);
        if ((mode & 0111) != 0) {
            throw new IllegalArgumentException("a data file is not a program; leave out the execute bits (600, 640)");
        }
        if ((mode & 0600) != 0600) {
            throw new IllegalArgumentException("the bundle must be able to read and write its own files (6xx)");
        }
        return new FileMode(mode);
    }

    /** The files' mode in octal, as Camel's file component takes it ({@code chmod=600}). */
    public String fileOctal() {
        return Integer.toOctalString(mode);
    }

    /** The directories' mode in octal: the files' plus {@code x} where {@code r} is set. */
    public String directoryOctal() {
        return Integer.toOctalString(directoryMode());
    }

    private int directoryMode() {
        return mode | ((mode & 0444) >> 2);
    }

    /** Creates {@code dir} (and its missing parents) with the directory mode, or tightens it if it is there. */
    public Path directory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory " + dir, e);
        }
        apply(dir, directoryMode());
        return dir;
    }

    /** Creates the empty file with the file mode before anyone writes to it, or tightens it if it is there. */
    public Path file(Path file) {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(permissions(mode)));
            return file;
        } catch (FileAlreadyExistsException e) {
            // made before: tighten it below
        } catch (UnsupportedOperationException e) {
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file, e);
        }
        apply(file, mode);
        return file;
    }

    private static void apply(Path path, int mode) {
        Set<PosixFilePermission> wanted = permissions(mode);
        try {
            if (!Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).equals(wanted)) {
                Files.setPosixFilePermissions(path, wanted);
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        } catch (IOException e) {
            LOG.warn("{} stays readable by others: cannot set its mode to {} ({})", path,
                    Integer.toOctalString(mode), e.getClass().getSimpleName());
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    @Override
    public String toString() {
        return fileOctal();
    }
}
