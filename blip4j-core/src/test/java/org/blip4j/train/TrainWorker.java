package org.blip4j.train;

import java.nio.file.Path;
import java.util.Map;
import org.blip4j.Task;
import org.blip4j.dist.DistEnv;
import org.blip4j.dist.Distributed;
import org.blip4j.engine.Engine;

/**
 * One rank of data-parallel training jobs in the tests (what {@code blip4j train} does in a worker): joins the job
 * the environment describes and runs {@link TrainRunner#run} for each argument {@code TASK=recipe} in turn (TASK:
 * CAPTION, PRETRAIN, ITM, or VISION: the vision stage), in the same process group (one start-up for several runs).
 */
public final class TrainWorker {
    private TrainWorker() {}

    public static void main(String[] args) throws Exception {
        DistEnv env = DistEnv.from(System.getenv());
        Engine.setThreads(env == null ? 1 : env.threadsPerRank());
        Distributed d = Distributed.fromEnvironment();
        try {
            for (String job : args) {
                int eq = job.indexOf('=');
                Recipe r = Recipe.read(Path.of(job.substring(eq + 1)), Map.of());
                if (job.startsWith("VISION=")) {
                    VisionPretraining.run(r, false, false, d);
                } else {
                    TrainRunner.run(Task.valueOf(job.substring(0, eq)), r, false, false, d);
                }
                System.out.println("DONE " + job);
            }
        } catch (Exception | Error e) {
            d.abort(e);
            System.err.println("FAILED: " + e);
            e.printStackTrace();
            System.exit(1);
        } finally {
            d.close();
        }
    }
}
