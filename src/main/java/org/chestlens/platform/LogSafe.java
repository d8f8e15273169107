package org.chestlens.platform;

/**
 * What a request carried may end up in an exception message (Tomcat quotes an undecodable
 * parameter, a parser the text it choked on). Written to the log as it is, a CR/LF forges log
 * lines, a NUL or an escape sequence garbles a terminal, and a bidi override hides text; so such
 * messages reach the log escaped.
 */
final class LogSafe {

    private static final int MAX_MESSAGE = 500;
    private static final int MAX_CAUSES = 10;

    private LogSafe() {
    }

    /** Printable ASCII stays as it is; everything else becomes a Java {@code \\uXXXX} escape; long text is cut. */
    static String escape(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder escaped = new StringBuilder(Math.min(text.length(), MAX_MESSAGE) + 16);
        for (int i = 0; i < text.length() && escaped.length() < MAX_MESSAGE; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                escaped.append(c);
            } else {
                escaped.append(String.format("\\u%04x", (int) c));
            }
        }
        if (escaped.length() >= MAX_MESSAGE) {
            escaped.append("... (").append(text.length()).append(" characters)");
        }
        return escaped.toString();
    }

    /**
     * The same exception for the log: its class, its escaped message and its stack trace, and so on
     * for its causes.
     */
    static Throwable escaped(Throwable original) {
        return escaped(original, 0);
    }

    private static Throwable escaped(Throwable original, int depth) {
        Throwable cause = original.getCause() == null || original.getCause() == original || depth >= MAX_CAUSES
                ? null : escaped(original.getCause(), depth + 1);
        Escaped copy = new Escaped(original.getClass().getName(), escape(original.getMessage()), cause);
        copy.setStackTrace(original.getStackTrace());
        return copy;
    }

    /** Prints as the original would ({@code class: message}), not as an {@code Escaped}. */
    private static final class Escaped extends RuntimeException {

        private final String className;

        Escaped(String className, String message, Throwable cause) {
            super(message, cause, false, true);
            this.className = className;
        }

        @Override
        public String toString() {
            return getMessage() == null ? className : className + ": " + getMessage();
        }
    }
}
