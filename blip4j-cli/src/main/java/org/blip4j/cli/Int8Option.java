package org.blip4j.cli;

import org.blip4j.Blip;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** {@code --int8}: switches a loaded model's text decoder to int8, or says in one line why it cannot. */
final class Int8Option {
    private Int8Option() {}

    static void apply(Blip blip, CommandSpec spec) {
        try {
            blip.useInt8Decoding();
        } catch (UnsupportedOperationException | IllegalStateException e) {
            throw new ParameterException(spec.commandLine(), "--int8: " + e.getMessage());
        }
    }
}
