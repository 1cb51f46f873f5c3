package io.iotuplink.envelope;

/** A record that cannot become an envelope: malformed, not an object, over an AWS IoT limit. */
public class InvalidReadingException extends RuntimeException {

    /** Why the record was refused; each maps to an HTTP answer. */
    public enum Problem {
        MALFORMED(400), TOO_LARGE(413);

        private final int httpStatus;

        Problem(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Problem problem;
    private final String detail;

    public InvalidReadingException(Problem problem, String message, String detail) {
        super(message + ": " + detail);
        this.problem = problem;
        this.detail = detail;
    }

    public Problem problem() {
        return problem;
    }

    /** The short summary, without the detail. */
    public String summary() {
        String message = getMessage();
        return message.substring(0, message.length() - detail.length() - 2);
    }

    public String detail() {
        return detail;
    }
}
