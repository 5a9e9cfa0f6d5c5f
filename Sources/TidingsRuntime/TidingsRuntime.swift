/// How a Tidings function is invoked: stdin today, the Lambda Runtime API loop next.
public enum TidingsRuntime {}
