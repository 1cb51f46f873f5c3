package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * A publish's {@link MqttException} whose message names its reason code and cause ({@link ReasonCodes#describe}),
 * so that Camel's error handler logs, say, {@code Paho 0 client error (IOException: Broken pipe)} rather than Paho's
 * "Untranslated MqttException - RC: 0". The reason code is the original's.
 */
public final class DescribedMqttException extends MqttException {

    private static final long serialVersionUID = 1L;

    public DescribedMqttException(int reasonCode, Throwable cause) {
        super(reasonCode, cause);
    }

    /** The same failure, described; one already described is returned as it is. */
    public static DescribedMqttException of(MqttException original) {
        if (original instanceof DescribedMqttException described) {
            return described;
        }
        DescribedMqttException described = new DescribedMqttException(original.getReasonCode(), original.getCause());
        described.setStackTrace(original.getStackTrace());
        return described;
    }

    @Override
    public String getMessage() {
        return ReasonCodes.describe(getReasonCode(), super.getMessage(), getCause());
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
