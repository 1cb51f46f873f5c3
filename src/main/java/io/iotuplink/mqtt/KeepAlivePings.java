package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttPingSender;
import org.eclipse.paho.mqttv5.client.internal.ClientComms;

import java.util.Timer;
import java.util.TimerTask;

/**
 * Paho's keep-alive timer, as its own {@code TimerPingSender} runs it (one timer thread per connection, named
 * {@code MQTT Ping: <client id>}, asking Paho whether a PINGREQ is due), which also tells the client when a PINGRESP
 * arrives: a PINGRESP is a packet from the broker like any other. Paho calls it from its own threads.
 */
final class KeepAlivePings implements MqttPingSender {

    private final Runnable pingResponse;
    private final MqttActionListener answered = new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
            pingResponse.run();
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
            // Paho drops the connection itself when no PINGRESP comes
        }
    };
    private ClientComms comms;
    private Timer timer;

    /** @param pingResponse runs on Paho's callback thread for each PINGRESP */
    KeepAlivePings(Runnable pingResponse) {
        this.pingResponse = pingResponse;
    }

    @Override
    public synchronized void init(ClientComms comms) {
        this.comms = comms;
    }

    @Override
    public synchronized void start() {
        timer = new Timer("MQTT Ping: " + comms.getClient().getClientId(), true);
        schedule(comms.getKeepAlive());
    }

    @Override
    public synchronized void stop() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    @Override
    public synchronized void schedule(long delayInMilliseconds) {
        if (timer == null) {
            return; // stopped meanwhile: the connection is gone
        }
        ClientComms checked = comms;
        timer.schedule(new TimerTask() {
            @Override
            public void run() {
                checked.checkForActivity(answered);
            }
        }, delayInMilliseconds);
    }
}
