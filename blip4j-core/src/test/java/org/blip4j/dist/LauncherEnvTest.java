package org.blip4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LauncherEnvTest {
    @Test
    void workersGetTheirThreadShareAndNonSpinningThreadPools() {
        Map<String, String> env = Launcher.defaultEnv(3);
        assertEquals("3", env.get("OMP_NUM_THREADS"));
        assertEquals("passive", env.get("OMP_WAIT_POLICY"));
        assertEquals("4", env.get("OPENBLAS_THREAD_TIMEOUT"));
        assertEquals("FATAL", env.get("TORCH_CPP_LOG_LEVEL"));
    }

    @Test
    void whatTheUserSetWins() {
        Map<String, String> env = new HashMap<>(Map.of("OPENBLAS_THREAD_TIMEOUT", "28", "OMP_NUM_THREADS", "1"));
        Launcher.applyDefaults(env, 2); // what launch does to each worker's environment
        assertEquals("28", env.get("OPENBLAS_THREAD_TIMEOUT"));
        assertEquals("1", env.get("OMP_NUM_THREADS"));
        assertEquals("passive", env.get("OMP_WAIT_POLICY"));
    }
}
