package org.blip4j.cli;

import java.io.IOException;
import org.blip4j.Blip;
import org.blip4j.Task;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code --captioner}: loads the captioning model whose likelihood of a text re-ranks retrieval candidates, or says
 * in one line why that model cannot.
 */
final class CaptionerOption {
    private CaptionerOption() {}

    static Blip load(ModelOptions options, String spec, CommandSpec command) throws IOException {
        Blip captioner = options.loadAlso(spec, "caption");
        if (captioner.task() != Task.CAPTION && captioner.task() != Task.PRETRAIN) {
            String what = captioner.task().describe();
            captioner.close();
            throw new ParameterException(
                    command.commandLine(),
                    "--captioner: " + spec + " is " + what + " model; it needs a captioning model (one with a "
                            + "text_decoder), e.g. shapes/caption or Salesforce/blip-image-captioning-base");
        }
        return captioner;
    }
}
