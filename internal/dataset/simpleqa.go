package dataset

// SimpleQAURL is the official location of OpenAI's SimpleQA test set.
const SimpleQAURL = "https://openaipublic.blob.core.windows.net/simple-evals/simple_qa_test_set.csv"

// SimpleQASHA256 is the sha256 of the official SimpleQA CSV; downloads and
// the embedded copy must both match it.
const SimpleQASHA256 = "feee3f7e7db3617e94e8fcf1977b756ec420ef8568f4e0fcbbe0e92e9d5fc032"
