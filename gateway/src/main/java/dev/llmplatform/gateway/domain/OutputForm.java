package dev.llmplatform.gateway.domain;

import java.util.List;

/** What the generated text is, and so how the answer is made from it. */
public sealed interface OutputForm {

    /** The text is the answer's content (plain, or JSON that a grammar made conform to a schema). */
    record Content() implements OutputForm {
    }

    /**
     * The text is the model's tool-call JSON, which becomes the answer's tool_calls.
     *
     * @param answerAllowed tool_choice "auto": the model may answer in words instead of calling
     * @param functions     the names of the tools the request offered
     */
    record ToolCalls(boolean answerAllowed, List<String> functions) implements OutputForm {
        public ToolCalls {
            functions = List.copyOf(functions);
        }
    }

    OutputForm CONTENT = new Content();
}
