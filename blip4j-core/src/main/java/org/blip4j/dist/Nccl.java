package org.blip4j.dist;

import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;

/**
 * The NCCL process group, for the CUDA build of libtorch ({@code org.bytedeco:pytorch} with the
 * {@code linux-x86_64-gpu} classifier). Kept apart so the CPU build never loads the NCCL presets. Untested here:
 * no GPU build runs on this project's machines.
 */
final class Nccl {
    private Nccl() {}

    static Backend create(TCPStore store, DistEnv env) {
        ProcessGroupNCCL.Options o = ProcessGroupNCCL.Options.create();
        return new ProcessGroupNCCL(store, env.rank(), env.worldSize(), o);
    }
}
