package io.iotuplink;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line before anything starts: --help, --version, and a mistake that exits 2 with the usage. */
class ApplicationArgumentsTest {

    private String out;
    private String err;

    private int run(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            return Application.run(args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
            out = o.toString(StandardCharsets.UTF_8);
            err = e.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void aMistypedOptionOrCommandExitsTwoWithTheUsageInsteadOfStartingAnything() {
        assertEquals(2, run("--lcoal"));
        assertTrue(err.startsWith("iot-uplink: unknown option --lcoal (iot-uplink --help shows the commands)\n"),
                err);
        assertTrue(err.contains("iot-uplink outbox status"), err);
        assertEquals("", out);
        assertEquals(2, run("outbx", "status"));
        assertTrue(err.startsWith("iot-uplink: unknown command outbx"), err);
        assertEquals(2, run("--local", "outbox", "lst"));
        assertTrue(err.startsWith("iot-uplink: unknown command 'outbox lst'"), "a command after --local: " + err);
    }

    @Test
    void helpNamesTheCommandsTheKeyVariablesAndTheDocsAndVersionTheBundleCamelAndJava() {
        assertEquals(0, run("--help"));
        for (String named : new String[] {"outbox list", "outbox retarget", "outbox drop", "dead-letter replay",
                "AWS_IOT_ENDPOINT", "UPLINK_DATA_DIR", "docs/", "--local"}) {
            assertTrue(out.contains(named), named + " in:\n" + out);
        }
        assertEquals(0, run("--version"));
        String[] lines = out.split("\n");
        assertTrue(lines[0].matches("iot-uplink \\d+\\.\\d+\\.\\d+.*"), out);
        assertEquals("Apache Camel 4.17.0", lines[1]);
        assertTrue(lines[2].startsWith("Java " + Runtime.version().feature()), out);
    }
}
