package io.iotuplink.support;

import io.iotuplink.datadir.DataDirLock;

import java.nio.file.Path;

/** A process that takes a directory's lock, says {@link #LOCKED} and waits to be killed (tests of the lock). */
public final class LockHolder {

    public static final String LOCKED = "locked";

    private LockHolder() {
    }

    public static void main(String[] args) throws InterruptedException {
        DataDirLock.take(Path.of(args[0]), "UPLINK_DATA_DIR=" + args[0], "lock holder");
        System.out.println(LOCKED);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
