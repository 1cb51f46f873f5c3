package io.iotuplink;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.auth.CustomAuthorizerLogin;
import io.iotuplink.auth.TokenManager;
import io.iotuplink.auth.TokenProvider;
import io.iotuplink.clock.ClockSteps;
import io.iotuplink.config.AuthSettings;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.PortBinding;
import io.iotuplink.config.UnknownVariables;
import io.iotuplink.config.UplinkConfig;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.connection.ConnectionSupervisor;
import io.iotuplink.connection.MqttConnectionHealthCheck;
import io.iotuplink.datadir.DataDirInUseException;
import io.iotuplink.datadir.DirectoryLocks;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.ReadingFactory;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.extension.RouteProblems;
import io.iotuplink.extension.RoutesDirectory;
import io.iotuplink.extension.UnconsumedEndpoints;
import io.iotuplink.http.ApiAuthentication;
import io.iotuplink.http.ControlRoutes;
import io.iotuplink.http.HttpApiRoutes;
import io.iotuplink.http.HttpPort;
import io.iotuplink.http.HttpServerLimits;
import io.iotuplink.inputs.HostHealth;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.inputs.LineRecords;
import io.iotuplink.inputs.command.CommandRoutes;
import io.iotuplink.inputs.file.FilesAwaitingRoom;
import io.iotuplink.inputs.file.InboxEntries;
import io.iotuplink.inputs.file.InboxFiles;
import io.iotuplink.inputs.file.InboxLeftovers;
import io.iotuplink.local.LocalBroker;
import io.iotuplink.mqtt.PublishShaper;
import io.iotuplink.mqtt.UplinkMqttClient;
import io.iotuplink.outbox.BatchEnvelope;
import io.iotuplink.outbox.OutboxBudget;
import io.iotuplink.outbox.OutboxComponent;
import io.iotuplink.outbox.OutboxStore;
import io.iotuplink.outbox.OutboxTarget;
import io.iotuplink.outbox.WhenFull;
import io.iotuplink.publish.KeepaliveRoute;
import io.iotuplink.publish.PublishOutcomes;
import io.iotuplink.publish.PublishRetryPolicy;
import io.iotuplink.publish.PublishRoutes;
import io.iotuplink.status.ApplicationState;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.StatusReport;
import io.iotuplink.status.UplinkMetrics;
import io.iotuplink.tls.CertificateFiles;
import io.iotuplink.tls.CertificateValidity;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.StartupListener;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Assembles the bundle inside a Camel context: reads and checks the configuration, builds the TLS context, the
 * MQTT client and its supervisor, binds them, and adds the core routes. In {@code --local} mode it first starts
 * the embedded broker with a throwaway PKI.
 */
public final class UplinkBundle extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(UplinkBundle.class);
    /**
     * The registry name of the bundle's MQTT client, for {@code paho-mqtt5:} endpoints in added routes
     * ({@code client=#uplinkMqttClient}).
     */
    public static final String CLIENT_BEAN = "uplinkMqttClient";
    /** The id of the publish route in {@code routes/publish.camel.yaml}. */
    public static final String PUBLISH_ROUTE = "uplink-publish";

    private final boolean local;
    private volatile ConfigurationException configurationFailure;
    private volatile UplinkConfig config;
    private volatile DirectoryLocks locks;

    public UplinkBundle(boolean local) {
        this.local = local;
    }

    /** The configuration problems that stopped the start, or null. */
    public ConfigurationException configurationFailure() {
        return configurationFailure;
    }

    /**
     * The one-line problem behind a failed start, when it is the configuration's (a user's route file naming an
     * unknown component...) rather than the bundle's.
     */
    public Optional<String> startProblem(Throwable failure) {
        releaseDirectories(); // the start failed
        UplinkConfig read = config;
        if (read == null) {
            return Optional.empty();
        }
        return RouteProblems.starting(getContext(), failure,
                location -> RoutesDirectory.label(location, read.routesDir(), read.publishRoute()));
    }

    @Override
    public void configure() throws Exception {
        try {
            assemble();
        } catch (Exception | Error e) {
            releaseDirectories();
            throw e;
        }
    }

    private void assemble() throws Exception {
        CamelContext context = getContext();
        // every key asked for is one the bundle knows: an UPLINK_* variable that is none of them is a typo
        Set<String> keysRead = ConcurrentHashMap.newKeySet();
        Function<String, Optional<String>> properties = key -> {
            keysRead.add(key);
            return context.getPropertiesComponent().resolveProperty(key);
        };
        ConfigReader.Result read = ConfigReader.read(properties, local);
        UplinkConfig config = read.config();
        this.config = config;
        List<String> problems = new ArrayList<>(read.problems());
        List<ApiAuthentication.Binding> httpBindings = ApiAuthentication.bindings(context);
        ApiAuthentication.Settings api = ApiAuthentication.read(properties, httpBindings);
        problems.addAll(api.problems());
        keysRead.addAll(RoutesDirectory.placeholders(config.routesDir()));
        UnknownVariables.warnings(System.getenv(), keysRead).forEach(LOG::warn);
        if (problems.isEmpty()) {
            try {
                config.fileMode().directory(config.dataDir());
                if (!Files.isWritable(config.dataDir())) {
                    problems.add("UPLINK_DATA_DIR=" + config.dataDir() + ": not writable (the outbox and the dead"
                            + " letters are kept there): give the bundle's user write access, or choose another");
                }
            } catch (UncheckedIOException e) {
                problems.add("UPLINK_DATA_DIR=" + config.dataDir() + ": cannot create the directory ("
                        + e.getCause().getClass().getSimpleName() + ")");
            }
        }
        if (problems.isEmpty()) {
            lockDirectories(context, config);
            problems.addAll(takenPorts(context, config));
        }
        PemFiles.Loaded pem = null;
        // in --local mode the PEM files are the throwaway PKI's, made once the values are known to be good
        if (local && problems.isEmpty()) {
            try {
                context.addService(LocalBroker.prepare(config), true, true);
            } catch (ConfigurationException e) {
                problems.addAll(e.problems());
            }
        }
        if (!local || problems.isEmpty()) {
            pem = PemFiles.load(config.certPath(), config.keyPath(), config.caPath());
            problems.addAll(pem.problems());
        }
        failOnProblems(problems);
        api.token().ifPresent(token -> ApiAuthentication.require(context, token));
        // said once the routes run, so that a start that fails shows its problem first
        List<String> startLines = new ArrayList<>();
        if (!httpBindings.isEmpty()) {
            startLines.add(ApiAuthentication.describe(httpBindings, api.token().isPresent()));
        }
        PemTlsContext tls = PemTlsContext.create(pem);

        Clock wall = Clock.systemUTC();
        ObjectMapper mapper = ReadingFactory.strictMapper();
        ConnectionMonitor monitor = new ConnectionMonitor(wall, 50);
        PublishStats stats = new PublishStats();
        InputCounters inputs = new InputCounters();
        WhenFull whenFull = WhenFull.parse(config.outbox().whenFull());
        OutboxStore outbox = null;
        OutboxTarget.Target target = OutboxTarget.Target.of(config);
        try {
            outbox = OutboxTarget.open(config.outboxFile(), target, file -> OutboxStore.open(file, config.fileMode(),
                    config.outbox().maxReadings(), config.outbox().maxBytes(), whenFull));
        } catch (ConfigurationException e) {
            failOnProblems(e.problems());
        } catch (IllegalStateException | UncheckedIOException e) {
            // a damaged outbox is set aside; what is left is the data dir's to fix (locked, read-only, I/O errors)
            failOnProblems(List.of("UPLINK_DATA_DIR=" + config.dataDir() + ": " + e.getMessage()
                    + (e instanceof UncheckedIOException io ? " (" + io.getCause().getMessage() + ")" : "")));
        }
        context.addService(new OutboxService(outbox), true, true);
        ClockSteps steps = watchClock(context, wall, outbox);
        // readings are stamped and their expiry judged by this clock: each read looks for a step first
        Clock clock = steps.clock();
        StatusReport status = new StatusReport(config, monitor, stats, inputs, outbox, System::nanoTime);
        status.outboxTarget(target.toString());
        status.reportClock(steps);
        // camel-main's Prometheus registry, so Camel's metrics and ours share /observe/metrics
        MeterRegistry meters = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        UplinkMetrics metrics = new UplinkMetrics(meters == null ? new SimpleMeterRegistry() : meters, monitor,
                outbox);
        inputs.reportTo(metrics);
        metrics.clockSteps(steps);
        PublishShaper shaper = new PublishShaper(config.maxPublishRate(), config.maxBytesRate(), System::nanoTime);
        UplinkMqttClient client = new UplinkMqttClient(config.serverUri(), config.clientId(),
                config.mqtt().publishTimeout(), shaper);
        status.reportQuota(shaper);
        metrics.quota(shaper);
        client.onPuback(metrics::puback);
        List<String> alpn = PemTlsContext.alpnFor(config.port(), config.auth().customAuthorizer());
        ConnectionSupervisor supervisor = new ConnectionSupervisor(client, config.mqtt(), tls.socketFactory(alpn),
                config.reconnect(), monitor, config.endpoint(),
                ConfigReader.envName("aws.iot.ca-path") + "=" + config.caPath());
        // a device certificate the clock says is not valid (yet) is a clock to set, not a reason to stop
        CertificateValidity validity = new CertificateValidity(tls.deviceCertificate(),
                ConfigReader.envName("aws.iot.cert-path") + "=" + config.certPath(), clock, System::nanoTime);
        supervisor.checkClockBeforeConnect(validity::check);
        if (config.auth().customAuthorizer()) {
            TokenManager tokens = tokens(config, supervisor, clock, context);
            status.countTokenRefreshes(tokens::refreshes);
            metrics.countTokenRefreshes(tokens);
        }
        ReadingIntake intake = new ReadingIntake(mapper, new ReadingFactory(mapper, clock, outbox.messageIds()::next),
                new EnvelopeWriter(mapper, config.deviceId()), config.telemetryTopic(), config.eventsTopic());

        bindToRegistry(CLIENT_BEAN, client);
        bindToRegistry("uplinkConfig", config);
        bindToRegistry("uplinkConnection", monitor);
        bindToRegistry("uplinkStatus", status);
        bindToRegistry("uplinkIntake", intake);
        bindToRegistry("uplinkInputs", inputs);
        InboxLeftovers leftovers = new InboxLeftovers(context, config.inbox(),
                config.dataDir().resolve("inbox-not-removed.txt"), config.fileMode());
        context.addService(leftovers, true, true);
        status.countInboxLeftovers(leftovers::stillInInbox);
        bindToRegistry("uplinkInboxNotRemoved", leftovers);
        OutboxStore store = outbox;
        FilesAwaitingRoom awaiting = new FilesAwaitingRoom(store::depth, store::bytes, config.outbox().maxReadings(),
                config.outbox().maxBytes(), whenFull == WhenFull.REJECT,
                () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()));
        status.countInboxWaiting(awaiting::count);
        bindToRegistry("uplinkInboxEntries", new InboxEntries(leftovers, awaiting,
                config.inboxSettings().settleTime(), clock, System::nanoTime));
        bindToRegistry("uplinkInboxFiles", new InboxFiles(intake, inputs, mapper, config.outbox(),
                config.inboxSettings().maxFileSize(), leftovers, awaiting));
        bindToRegistry("uplinkLineRecords", new LineRecords(intake, inputs));
        bindToRegistry("uplinkHostHealth", new HostHealth(config.dataDir()));
        context.getPropertiesComponent().addOverrideProperty("uplink.sample.period-ms",
                String.valueOf(Math.max(1, config.sampleInterval().toMillis())));
        switchOff(context, disabledInputs(config));
        CommandRoutes commands = new CommandRoutes(config.topicPrefix(), config.commands(), status, inputs, mapper);
        supervisor.subscribe(config.commandsFilter(), commands.listener(context.createProducerTemplate()));
        context.addService(new SupervisorService(supervisor, config), true, true);
        // connect once the routes run, so the first connection events reach direct:connection-event
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
                // the routes may still be starting here
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                startLines.forEach(LOG::info);
                LOG.info("{}", runningRoutes(started));
                supervisor.start();
            }
        });

        // outbox:uplink, which routes/publish.camel.yaml consumes: it hands out while the client is connected
        OutboxComponent outboxComponent = new OutboxComponent(outbox,
                // the wall clock itself: a batch is written under the outbox's hand-out lock, where nothing may
                // look for a clock step (that re-bases the store under its writer lock)
                new BatchEnvelope(mapper, config.deviceId(), wall,
                        // a batch takes at most a quarter of a window at the quotas kept now: events never wait long
                        () -> (int) Math.min(client.maximumPacketSize(), shaper.publishBytesNow())),
                supervisor::isConnected, supervisor::receiveMaximum, new PublishOutcomes(stats, metrics, clock));
        outboxComponent.setTimeToLive(config.timeToLive());
        outboxComponent.setClock(clock);
        outboxComponent.setQuotaLineFull(client::quotaLineFull);
        outboxComponent.setDeadLetterUri("direct:dead-letter");
        context.addComponent("outbox", outboxComponent);
        metrics.inFlight(outboxComponent);
        status.countAwaitingRemoval(outboxComponent::awaitingRemoval);
        status.countReadings(outboxComponent::books, outboxComponent::parked);
        steps.onRebase(step -> outboxComponent.reread()); // what was read ahead has its old times
        bindToRegistry("uplinkPublishRetry", new PublishRetryPolicy(config.publishRetry()));
        // a retry waits for its PUBACK on the thread that runs it: a pool of its own, as large as the window
        bindToRegistry("uplinkPublishRetries", context.getExecutorServiceManager()
                .newScheduledThreadPool(this, "uplink-publish-retry", config.maxInflight()));
        UplinkMetrics.leaveOutOfRouteMetrics(context, PUBLISH_ROUTE);
        DeadLetters deadLetters = new DeadLetters(config.deadLetterDir(), config.fileMode(),
                config.deadLetters().maxReadings(), config.deadLetters().maxBytes(), System::nanoTime);
        // caps lowered since the last run apply at once
        deadLetters.cap();
        status.reportDeadLetters(deadLetters);
        metrics.deadLetters(deadLetters);
        context.addRoutes(new PublishRoutes(config, intake, stats, inputs, metrics, clock, deadLetters));
        context.addRoutes(new KeepaliveRoute(config.keepaliveInterval(), status));
        HttpServerLimits.apply(context, config.http(), mapper);
        HttpPort.requireListening(context);
        context.addRoutes(new HttpApiRoutes(intake, status, inputs, mapper,
                new OutboxBudget(outbox, config.outbox().maxReadings(), whenFull)));
        context.addRoutes(commands);
        if (!config.certificateCheckInterval().isZero() && !config.auth().customAuthorizer()) {
            CertificateFiles certificates = new CertificateFiles(config.certPath(), config.keyPath(),
                    config.caPath(), renewed -> {
                        validity.use(renewed.deviceCertificate());
                        supervisor.useSocketFactory(renewed.socketFactory(alpn));
                    });
            from("scheduler:uplink-certificates?delay=" + config.certificateCheckInterval().toMillis())
                    .routeId("uplink-certificates")
                    .process(e -> certificates.check());
        }
        context.addRoutes(new ControlRoutes(supervisor, monitor, new ApplicationState(), intake, mapper));
        announceConnectionEvents(context, monitor);
        HealthCheckRegistry.get(context).register(new MqttConnectionHealthCheck(monitor));
        try {
            RoutesDirectory.loadPublishRoute(context, config.publishRoute());
            RoutesDirectory.load(context, config.routesDir());
        } catch (ConfigurationException e) {
            failOnProblems(e.problems());
        }
        UnconsumedEndpoints.refuseAtStart(context,
                location -> RoutesDirectory.label(location, config.routesDir(), config.publishRoute()),
                failure -> {
                    configurationFailure = failure;
                    releaseDirectories(); // the start stops here
                });

        startLines.add("iot-uplink publishes to " + config.endpoint() + " (" + config.telemetryTopic() + ", "
                + config.eventsTopic() + ") as client id '" + config.clientId() + "', device '" + config.deviceId()
                + "'" + (local ? " [--local: embedded broker, throwaway certificates in " + config.localPkiDir() + "]"
                        : ""));
        if (outbox.depth() > 0) {
            startLines.add("The outbox " + config.outboxFile() + " holds " + outbox.depth() + " reading(s) from before;"
                    + " they go out first");
        }
    }

    /**
     * Looks for steps of the wall clock every second on {@code uplink-clock}: a step re-bases the readings this run
     * stored before it (from the first seq after those of earlier runs, which cannot be re-based).
     */
    private ClockSteps watchClock(CamelContext context, Clock wall, OutboxStore outbox) {
        long runStart = outbox.rebase(Long.MAX_VALUE, 0) + 1;
        ClockSteps steps = new ClockSteps(wall, System::nanoTime, step -> outbox.rebase(runStart, step));
        context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "uplink-clock")
                .scheduleWithFixedDelay(() -> {
                    try {
                        steps.check();
                    } catch (RuntimeException e) {
                        LOG.warn("Looking for a step of the wall clock failed (looked again in a second): {}",
                                e.toString());
                    }
                }, 1, 1, TimeUnit.SECONDS);
        return steps;
    }

    /** The token side of a custom authorizer: a provider, a manager refreshing it, the supervisor using it. */
    private TokenManager tokens(UplinkConfig config, ConnectionSupervisor supervisor, Clock clock,
            CamelContext context) throws Exception {
        AuthSettings auth = config.auth();
        TokenProvider provider = auth.tokenCommand() != null ? TokenProvider.command(auth.tokenCommand(), clock)
                : auth.tokenFile() != null ? TokenProvider.file(Path.of(auth.tokenFile()), clock)
                : TokenProvider.url(URI.create(auth.tokenUrl()), clock);
        TokenManager tokens = new TokenManager(provider, new CustomAuthorizerLogin(auth.username(),
                auth.authorizerName(), auth.tokenKeyName(), auth.tokenSignature()), auth.refreshThreshold(),
                config.reconnect(), clock, System::nanoTime,
                context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "uplink-token"),
                supervisor::login, supervisor);
        supervisor.useCredentials(ConnectionSupervisor.Credentials.of(tokens::ensureFresh, tokens::invalidate));
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                tokens.stop();
            }
        }, true, true);
        return tokens;
    }

    /** A start that fails leaves the directories to the next one (an in-JVM retry, a test). */
    private void releaseDirectories() {
        DirectoryLocks held = locks;
        if (held != null) {
            held.close();
        }
    }

    /**
     * One bundle per data dir, and per inbox outside it: taken before the outbox opens and before {@code --local}
     * writes its PKI there, released when the context stops (or by the OS when the process dies).
     */
    private void lockDirectories(CamelContext context, UplinkConfig config) throws Exception {
        try {
            locks = DirectoryLocks.take(config, local ? "bundle --local" : "bundle");
        } catch (DataDirInUseException e) {
            configurationFailure = e;
            throw e;
        } catch (UncheckedIOException e) {
            failOnProblems(List.of(e.getMessage()));
        }
        DirectoryLocks held = locks;
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                held.close();
            }
        }, true, true);
    }

    /**
     * The ports the bundle listens on that something else already holds, found before anything starts: the HTTP
     * port is checked again once its server started ({@link HttpPort#requireListening}), the embedded broker would
     * fail with a stack of HiveMQ's.
     */
    private List<String> takenPorts(CamelContext context, UplinkConfig config) {
        List<String> taken = new ArrayList<>();
        HttpPort.problem(context.getPropertiesComponent()).ifPresent(taken::add);
        if (local && PortBinding.refusal("127.0.0.1", String.valueOf(config.port())).isPresent()) {
            taken.add(LocalBroker.portTaken(config.port()));
        }
        return taken;
    }

    /** Stops the start, remembering the problems for {@link Application}'s exit code 2. */
    private void failOnProblems(List<String> problems) {
        if (!problems.isEmpty()) {
            configurationFailure = new ConfigurationException(problems);
            throw configurationFailure;
        }
    }

    /**
     * Hands every connection event to {@code direct:connection-event}, where a user route may react (alerting,
     * a local LED...); without such a route it goes nowhere. Asynchronous: Paho's threads never wait for it.
     * The connection starts once the routes run, so the first events are not lost.
     */
    private static void announceConnectionEvents(CamelContext context, ConnectionMonitor monitor) {
        ProducerTemplate producer = context.createProducerTemplate();
        monitor.onEvent(event -> {
            if (context.isStopping() || context.isStopped()) {
                return;
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("timestamp", EnvelopeWriter.epochSeconds(event.timestamp().toEpochMilli()));
            body.put("state", event.state().jsonName());
            body.put("message", event.message());
            body.put("error", event.error());
            producer.asyncSendBody("direct:connection-event?block=false&failIfNoConsumers=false", body);
        });
    }

    /** One line for camel-main's route by route summary, which a start at INFO leaves out (logging/). */
    private static String runningRoutes(CamelContext context) {
        List<String> running = new ArrayList<>();
        List<String> off = new ArrayList<>();
        for (org.apache.camel.Route route : context.getRoutes()) {
            (context.getRouteController().getRouteStatus(route.getRouteId()).isStarted() ? running : off)
                    .add(route.getRouteId());
        }
        return running.size() + " routes running: " + String.join(", ", running)
                + (off.isEmpty() ? "" : "; not started: " + String.join(", ", off));
    }

    /** The built-in input routes the configuration leaves off: serial without a port, sampling at interval 0. */
    private static Set<String> disabledInputs(UplinkConfig config) {
        Set<String> off = new HashSet<>();
        if (config.serialPort().isBlank()) {
            off.add("uplink-serial");
        }
        if (config.sampleInterval().isZero()) {
            off.add("uplink-host-sample");
        }
        return off;
    }

    /** Keeps those routes (they show as stopped) but does not start them, whenever their YAML is loaded. */
    private static void switchOff(CamelContext context, Set<String> routeIds) {
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        for (RouteDefinition route : model.getRouteDefinitions()) {
            if (routeIds.contains(route.getRouteId())) {
                route.setAutoStartup("false");
            }
        }
        model.setRouteFilter(route -> {
            if (routeIds.contains(route.getRouteId())) {
                route.setAutoStartup("false");
            }
            return true;
        });
    }

    /** Closes the outbox database after everything that writes to it has stopped. */
    private static final class OutboxService extends ServiceSupport {
        private final OutboxStore outbox;

        OutboxService(OutboxStore outbox) {
            this.outbox = outbox;
        }

        @Override
        protected void doStop() {
            outbox.close();
        }
    }

    /** On stop, disconnects after the routes have drained. */
    private static final class SupervisorService extends ServiceSupport {
        private final ConnectionSupervisor supervisor;
        private final UplinkConfig config;

        SupervisorService(ConnectionSupervisor supervisor, UplinkConfig config) {
            this.supervisor = supervisor;
            this.config = config;
        }


        @Override
        protected void doStop() {
            supervisor.stop(config.shutdownTimeout());
        }
    }
}
