package org.blip4j.bench;

import org.blip4j.engine.Engine;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Child-process probe: loads the engine, runs one tensor op and reports the time since the JVM was launched. */
public final class StartProbe {
    private StartProbe() {}

    public static void main(String[] args) {
        double jvmReady = ChildJvm.sinceLaunchMs();
        long t0 = System.nanoTime();
        Engine.load();
        long t1 = System.nanoTime();
        Tensor a = torch.ones(2, 2);
        double v = a.matmul(a).sum().item_double();
        double firstOp = ChildJvm.sinceLaunchMs();
        if (v != 8.0) {
            throw new IllegalStateException("wrong result " + v);
        }
        ChildJvm.report("jvmReadyMs", jvmReady);
        ChildJvm.report("engineLoadMs", (t1 - t0) / 1e6);
        ChildJvm.report("firstOpMs", firstOp);
    }
}
