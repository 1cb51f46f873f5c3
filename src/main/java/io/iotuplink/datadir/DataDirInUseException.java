package io.iotuplink.datadir;

import io.iotuplink.ConfigurationException;

/** Another process (a bundle or an operator's command) holds the lock of the directory this one needs. */
public final class DataDirInUseException extends ConfigurationException {

    public DataDirInUseException(String problem) {
        super(problem);
    }
}
