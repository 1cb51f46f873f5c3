package io.iotuplink.http;

/** A request body that is not declared as JSON; answered 415. */
class UnsupportedContentTypeException extends RuntimeException {

    UnsupportedContentTypeException(String message) {
        super(message);
    }
}
