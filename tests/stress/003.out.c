QA output created by 003
churn: ROUNDS monitors read and closed with reports in flight, all balanced
churn: end of stream while attached: (not checked on C)
churn: 20*ROUNDS monitors opened right after the previous one closed
