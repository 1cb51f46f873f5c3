package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttPingSender;
import org.eclipse.paho.mqttv5.client.internal.ClientComms;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Paho's keep-alive timer (one thread per connection, named {@code MQTT Ping: <client id>}, asking Paho whether a
 * PINGREQ is due), which also tells the client when a PINGRESP arrives: a PINGRESP is a packet from the broker like
 * any other. Unlike Paho's own {@code TimerPingSender} (a {@link java.util.Timer}, which follows the wall clock and
 * stalls for as long as the clock is stepped back), it waits on a {@link ScheduledExecutorService}: monotonic time.
 * Paho calls it from its own threads.
 */
final class KeepAlivePings implements MqttPingSender {

    private final Runnable pingResponse;
    private final Function<String, ScheduledExecutorService> executors;
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
    private ScheduledExecutorService timer;

    /** @param pingResponse runs on Paho's callback thread for each PINGRESP */
    KeepAlivePings(Runnable pingResponse) {
        this(pingResponse, KeepAlivePings::oneThread);
    }

    /** @param executors makes the scheduler of one connection, given its thread's name */
    KeepAlivePings(Runnable pingResponse, Function<String, ScheduledExecutorService> executors) {
        this.pingResponse = pingResponse;
        this.executors = executors;
    }

    private static ScheduledExecutorService oneThread(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
        // stop() may run on this very thread (Paho drops a dead link from checkForActivity): shutdown() then
        // cancels what waits without interrupting it
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
    }

    @Override
    public synchronized void init(ClientComms comms) {
        this.comms = comms;
    }

    @Override
    public synchronized void start() {
        timer = executors.apply("MQTT Ping: " + comms.getClient().getClientId());
        schedule(comms.getKeepAlive());
    }

    @Override
    public synchronized void stop() {
        if (timer != null) {
            timer.shutdown();
            timer = null;
        }
    }

    @Override
    public synchronized void schedule(long delayInMilliseconds) {
        if (timer == null) {
            return; // stopped meanwhile: the connection is gone
        }
        ClientComms checked = comms;
        try {
            timer.schedule(() -> checked.checkForActivity(answered), delayInMilliseconds, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // stop() ran on another thread between the check and the schedule: nothing is due any more
        }
    }
}
