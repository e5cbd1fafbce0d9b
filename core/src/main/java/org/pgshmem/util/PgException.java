package org.pgshmem.util;

/**
 * An error reported the way PostgreSQL reports one: a message that says what happened to what,
 * an optional detail, and an optional hint that says what to do.
 */
public class PgException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String detail;
    private final String hint;

    /** An error with a message only. */
    public PgException(final String message)
    {
        this(message, null, null, null);
    }

    /** An error with a message, detail and hint (either may be null). */
    public PgException(final String message, final String detail, final String hint)
    {
        this(message, detail, hint, null);
    }

    /** An error with a message, detail, hint and the exception that caused it. */
    public PgException(final String message, final String detail, final String hint, final Throwable cause)
    {
        super(message, cause);
        this.detail = detail;
        this.hint = hint;
    }

    /** The DETAIL line, or null. */
    public String detail()
    {
        return detail;
    }

    /** The HINT line, or null. */
    public String hint()
    {
        return hint;
    }

    /** Message, detail and hint as PostgreSQL's tools print them: {@code prefix: error: message}, then detail and hint lines. */
    public String format(final String prefix)
    {
        final StringBuilder sb = new StringBuilder(prefix).append(": error: ").append(getMessage());
        if (detail != null)
        {
            sb.append('\n').append(prefix).append(": detail: ").append(detail);
        }
        if (hint != null)
        {
            sb.append('\n').append(prefix).append(": hint: ").append(hint);
        }
        return sb.toString();
    }
}
