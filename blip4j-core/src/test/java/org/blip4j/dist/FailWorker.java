package org.blip4j.dist;

import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A worker of {@link RankFailureTest}: all-reduces a small tensor every 100 ms (a training loop's collectives) and
 * prints {@code step k}; on a {@link DistributedException} prints {@code FAILED: <message>} and exits with code 3.
 */
public final class FailWorker {
    private FailWorker() {}

    public static void main(String[] args) throws Exception {
        try (Distributed d = Distributed.fromEnvironment()) {
            System.out.println("pid " + ProcessHandle.current().pid());
            for (int step = 1; step <= 600; step++) {
                try (PointerScope s = new PointerScope()) {
                    Tensor t = T.floats(new float[] {step}, 1);
                    d.allReduceSum(t);
                }
                System.out.println("step " + step);
                Thread.sleep(100);
            }
        } catch (DistributedException e) {
            System.out.println("FAILED: " + e.getMessage());
            System.out.flush();
            System.exit(3);
        }
    }
}
