package io.iotuplink.inputs;

/** Headers input routes set for the core routes. */
public final class ReadingRoutesHeaders {

    /** The input a record came from ({@code file}, {@code serial}, {@code timer}...), for the counts in /status. */
    public static final String INPUT = "UplinkInput";

    private ReadingRoutesHeaders() {
    }
}
