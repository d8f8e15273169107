package org.chestlens.inference;

import java.nio.file.Path;
import java.util.List;

import ai.djl.Device;
import org.chestlens.ReferenceTensors;

/** A model package loaded under DJL on the CPU, as the service loads it, and run once, in one batch, on its reference images. */
record ReferenceForward(ServedModel model, List<ReferenceTensors.Case> cases, List<ModelInput> inputs,
                        FoldOutputs outputs) implements AutoCloseable {

    static ReferenceForward of(Path packageDir) {
        DjlRuntime.configureOffline(null);
        ServedModel model = ServedModel.load(packageDir, ModelPackageReader.read(packageDir), Device.cpu(), 8);
        List<ReferenceTensors.Case> cases = ReferenceTensors.load(packageDir.resolve("reference"));
        List<ModelInput> inputs = cases.stream().map(c -> new ModelInput(c.input(), c.height(), c.width())).toList();
        return new ReferenceForward(model, cases, inputs, model.forward(inputs));
    }

    @Override
    public void close() {
        model.close();
    }
}
