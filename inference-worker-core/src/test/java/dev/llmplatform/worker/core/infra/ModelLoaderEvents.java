package dev.llmplatform.worker.core.infra;

import dev.llmplatform.proto.v1.ModelEvent;

/** Hands tests' registry events to a ModelLoader, as its registry watch would. */
public final class ModelLoaderEvents {

    private ModelLoaderEvents() {
    }

    public static void deliver(ModelLoader loader, ModelEvent event) {
        loader.onModelEvent(event);
    }
}
