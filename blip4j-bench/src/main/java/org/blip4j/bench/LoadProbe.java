package org.blip4j.bench;

import java.nio.file.Path;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.Engine;
import org.blip4j.model.BlipDecoder;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;

/**
 * Child-process probe: builds BLIP-base (captioning, 384 px), loads a safetensors checkpoint strictly, and reports the
 * time since the JVM was launched and the peak resident set size.
 */
public final class LoadProbe {
    private LoadProbe() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        long t0 = System.nanoTime();
        Engine.load();
        long t1 = System.nanoTime();
        BlipDecoder model = new BlipDecoder(BlipConfig.base(384));
        long t2 = System.nanoTime();
        WeightLoader.load(
                model,
                Checkpoints.read(file),
                LoadPolicy.strict(),
                file.getFileName().toString());
        long t3 = System.nanoTime();
        ChildJvm.report("loadedMs", ChildJvm.sinceLaunchMs());
        ChildJvm.report("engineMs", (t1 - t0) / 1e6);
        ChildJvm.report("buildMs", (t2 - t1) / 1e6);
        ChildJvm.report("readLoadMs", (t3 - t2) / 1e6);
        ChildJvm.report("hwmKb", ChildJvm.procStatusKb("VmHWM"));
        ChildJvm.report("rssKb", ChildJvm.procStatusKb("VmRSS"));
        ChildJvm.report("tensors", model.namedTensors().size());
    }
}
