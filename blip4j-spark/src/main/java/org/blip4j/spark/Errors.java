package org.blip4j.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkException;

/** Turns job failures, usually wrapped in Spark's task-failure exceptions, into one line for users. */
final class Errors {
    /** Spark's task failure reason: the exception after "most recent failure: Lost task … (executor …): ". */
    private static final Pattern TASK_FAILURE =
            Pattern.compile("most recent failure: [^\\n]*?\\): (?:[\\w.$]+: )?([^\\n]*)");

    private Errors() {}

    /** Rethrows any throwable unchecked, keeping its class (Spark reports it as the task's failure reason). */
    @SuppressWarnings("unchecked")
    static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /** The user-facing reason of a failure: our own message if the cause chain carries one, else Spark's first line. */
    static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NoSuchFileException n) {
                return n.getFile() + ": file not found";
            }
            if ((t instanceof IOException && !(t instanceof FileNotFoundException && t.getMessage() == null))
                    || t instanceof IllegalArgumentException
                    || t instanceof UnsupportedOperationException) {
                if (t.getMessage() != null && !(t instanceof SparkException)) {
                    return t.getMessage().lines().findFirst().orElse(t.getMessage());
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        Throwable root = e;
        while (root instanceof SparkException && root.getCause() != null) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        Matcher m = TASK_FAILURE.matcher(msg);
        if (m.find()) {
            return m.group(1).trim();
        }
        return msg.lines().findFirst().orElse(msg) + " (" + root.getClass().getSimpleName()
                + "; --verbose shows details)";
    }
}
